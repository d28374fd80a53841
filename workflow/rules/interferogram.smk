# Wrapped interferograms (built-in engine).


rule interferogram:
    input:
        reference=get_reference_slc,
        secondary=get_secondary_slc,
        dem="resources/dem/synthetic_dem.tif",
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
        interferogram=lookup(dpath="interferogram", within=config),
        posting_m=lookup(dpath="posting_m", within=config),
        crs=lookup(dpath="crs", within=config),
    script:
        "../scripts/interferogram.py"
