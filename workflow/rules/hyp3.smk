# Wrapped interferograms made on demand by ASF HyP3 (interferogram.engine: hyp3).


# waiting on HyP3 for hours needs no compute node: under SLURM it runs where snakemake runs
localrules:
    hyp3_product,


rule hyp3_product:
    input:
        pairs="results/pairs.csv",
        search="results/search",
    output:
        products=directory("resources/hyp3/{pair}"),
        record="results/hyp3/{pair}.json",
    log:
        "logs/hyp3_product/{pair}.log",
    benchmark:
        "results/benchmarks/hyp3_product/{pair}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        # waiting for HyP3 (hyp3.timeout_s) and the download
        runtime=int(config["hyp3"]["timeout_s"] / 60) + 60,
        asf_connections=1,
    params:
        settings=settings_of("hyp3_product"),
    script:
        "../scripts/hyp3_product.py"


rule interferogram:
    input:
        named=config_files_of("hyp3_interferogram"),
        pairs="results/pairs.csv",
        products="resources/hyp3/{pair}",
        record="results/hyp3/{pair}.json",
    output:
        product="results/interferograms/{pair}.tif",
    log:
        "logs/interferogram/{pair}.log",
    benchmark:
        "results/benchmarks/interferogram/{pair}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        settings=settings_of("hyp3_interferogram"),
    script:
        "../scripts/hyp3_interferogram.py"
