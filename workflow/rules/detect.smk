# Detections: polygons per pair (of either detector's likelihood), merged across pairs and
# viewing geometries with their support (the pairs that could see each area, and those that do).


rule vectorise:
    input:
        likelihood="{tree}/likelihood/{pair}.tif",
    output:
        detections="{tree}/detections/{pair}.gpkg",
    log:
        "logs/vectorise/{tree}/{pair}.log",
    benchmark:
        "results/benchmarks/vectorise/{tree}/{pair}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        settings=settings_of("vectorise"),
    script:
        "../scripts/vectorise.py"


rule merge_detections:
    input:
        detections=get_pair_detections,
        likelihoods=get_pair_likelihoods,
        products=get_pair_products,
        dem=get_support_dem,
    output:
        merged="{tree}/detections.gpkg",
    log:
        "logs/merge_detections/{tree}/merge_detections.log",
    benchmark:
        "results/benchmarks/merge_detections/{tree}/merge_detections.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        settings=settings_of("merge_detections"),
    script:
        "../scripts/merge_detections.py"
