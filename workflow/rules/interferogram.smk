# Wrapped interferograms (built-in engine).


rule interferogram:
    input:
        reference=get_reference_slc,
        secondary=get_secondary_slc,
        dem="resources/dem/synthetic_dem.tif",
    output:
        product="results/interferograms/{pair}.tif",
    params:
        interferogram=lookup(dpath="interferogram", within=config),
        posting_m=lookup(dpath="posting_m", within=config),
        crs=lookup(dpath="crs", within=config),
    log:
        "logs/interferogram/{pair}.log",
    benchmark:
        "results/benchmarks/interferogram/{pair}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../envs/core.yaml"
    script:
        "../scripts/interferogram.py"
