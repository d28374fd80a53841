# Interferograms made elsewhere (source: files): the pair table, and each one as the product.


rule files_pairs:
    input:
        files=get_all_file_inputs,
    output:
        pairs="results/pairs.csv",
    log:
        "logs/files_pairs/files_pairs.log",
    benchmark:
        "results/benchmarks/files_pairs/files_pairs.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        settings=settings_of("files_pairs"),
    script:
        "../scripts/files_pairs.py"


rule import_interferogram:
    input:
        named=config_files_of("import_interferogram"),
        files=get_file_inputs,
    output:
        product="results/interferograms/{pair}.tif",
    log:
        "logs/import_interferogram/{pair}.log",
    benchmark:
        "results/benchmarks/import_interferogram/{pair}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        settings=settings_of("import_interferogram"),
    script:
        "../scripts/import_interferogram.py"
