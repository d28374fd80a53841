# The synthetic source: ground scene, SLC acquisitions, per-pair truth.


rule pair_table:
    output:
        pairs="results/pairs.csv",
    log:
        "logs/pair_table/pair_table.log",
    benchmark:
        "results/benchmarks/pair_table/pair_table.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        settings=settings_of("pair_table"),
    script:
        "../scripts/pair_table.py"


rule simulate_ground:
    output:
        ground=directory("resources/synthetic/ground.zarr"),
        dem="resources/dem/synthetic_dem.tif",
        movements="results/truth/movements.gpkg",
    log:
        "logs/simulate_ground/simulate_ground.log",
    benchmark:
        "results/benchmarks/simulate_ground/simulate_ground.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=synthetic_mem_mb("simulate_ground", 4000),
        runtime=20,
    params:
        settings=settings_of("simulate_ground"),
    script:
        "../scripts/simulate_ground.py"


rule simulate:
    input:
        ground="resources/synthetic/ground.zarr",
    output:
        slc=directory("resources/slc/{scene}.zarr"),
    log:
        "logs/simulate/{scene}.log",
    benchmark:
        "results/benchmarks/simulate/{scene}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=synthetic_mem_mb("simulate", 6000),
        runtime=30,
    params:
        settings=settings_of("simulate"),
    script:
        "../scripts/simulate.py"


rule simulate_truth:
    input:
        ground="resources/synthetic/ground.zarr",
        dem="resources/dem/synthetic_dem.tif",
    output:
        patterns="results/truth/{pair}.gpkg",
        phase="results/truth/{pair}_phase.tif",
    log:
        "logs/simulate_truth/{pair}.log",
    benchmark:
        "results/benchmarks/simulate_truth/{pair}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=synthetic_mem_mb("simulate_truth", 6000),
        runtime=30,
    params:
        settings=settings_of("simulate_truth"),
    script:
        "../scripts/simulate_truth.py"
