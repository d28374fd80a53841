# Verified, resumable downloads of SLCs, orbit files and the DEM (source: asf).


rule download:
    input:
        scenes="results/scenes.csv",
    output:
        slc="resources/slc/{scene}.zip",
    log:
        "logs/download/{scene}.log",
    benchmark:
        "results/benchmarks/download/{scene}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=120,
        asf_connections=1,
    params:
        settings=settings_of("download"),
    script:
        "../scripts/download.py"


rule orbit:
    input:
        scenes="results/scenes.csv",
    output:
        orbit="resources/orbits/{scene}.EOF",
        record="resources/orbits/{scene}.json",
    log:
        "logs/orbit/{scene}.log",
    benchmark:
        "results/benchmarks/orbit/{scene}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=20,
        asf_connections=1,
    params:
        settings=settings_of("orbit"),
    script:
        "../scripts/orbit.py"


rule dem:
    output:
        dem="resources/dem/aoi_dem.tif",
        tiles=directory("resources/dem/tiles"),
    log:
        "logs/dem/dem.log",
    benchmark:
        "results/benchmarks/dem/dem.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
        asf_connections=1,
    params:
        settings=settings_of("dem"),
    script:
        "../scripts/dem.py"
