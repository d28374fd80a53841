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
        download=lookup(dpath="download", within=config),
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
        orbits=lookup(dpath="orbits", within=config),
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
        aoi=lookup(dpath="aoi", within=config),
        dem=lookup(dpath="dem", within=config),
        crs=lookup(dpath="crs", within=config),
        posting_m=lookup(dpath="posting_m", within=config),
    script:
        "../scripts/dem.py"
