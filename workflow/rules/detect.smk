# Detections: polygons per pair, merged across pairs and viewing geometries.


rule vectorise:
    input:
        likelihood="results/likelihood/{pair}.tif",
    output:
        detections="results/detections/{pair}.gpkg",
    log:
        "logs/vectorise/{pair}.log",
    benchmark:
        "results/benchmarks/vectorise/{pair}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        detection=lookup(dpath="detection", within=config),
    script:
        "../scripts/vectorise.py"


rule baseline_vectorise:
    input:
        likelihood="results/baseline/likelihood/{pair}.tif",
    output:
        detections="results/baseline/detections/{pair}.gpkg",
    log:
        "logs/baseline_vectorise/{pair}.log",
    benchmark:
        "results/benchmarks/baseline_vectorise/{pair}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        detection=lookup(dpath="detection", within=config),
    script:
        "../scripts/vectorise.py"


rule merge_detections:
    input:
        detections=get_pair_detections,
    output:
        merged="results/detections.gpkg",
    log:
        "logs/merge_detections/merge_detections.log",
    benchmark:
        "results/benchmarks/merge_detections/merge_detections.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        crs=lookup(dpath="crs", within=config),
    script:
        "../scripts/merge_detections.py"
