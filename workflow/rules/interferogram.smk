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
        mem_mb=synthetic_mem_mb("interferogram", 4000),
        runtime=20,
    params:
        settings=settings_of("interferogram"),
    script:
        "../scripts/interferogram.py"
