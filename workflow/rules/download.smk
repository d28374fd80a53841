# Verified, resumable downloads of SLCs, orbit files and the DEM (source: asf).


if config["download"]["granularity"] == "scene":

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

else:

    # only the bursts over the AOI (ASF's burst service), assembled into a SAFE for SNAP
    rule download_bursts:
        input:
            # the search's raw folder holds the burst table (bursts.csv)
            search="results/search",
        output:
            bursts=directory("resources/bursts/{scene}"),
        log:
            "logs/download_bursts/{scene}.log",
        benchmark:
            "results/benchmarks/download_bursts/{scene}.tsv"
        conda:
            "../../envs/core.yaml"
        threads: 1
        resources:
            mem_mb=500,
            runtime=60,
            asf_connections=1,
        params:
            settings=settings_of("download_bursts"),
        script:
            "../scripts/download_bursts.py"

    rule assemble_safe:
        input:
            bursts="resources/bursts/{scene}",
        output:
            slc="resources/slc/{scene}.zip",
        log:
            "logs/assemble_safe/{scene}.log",
        benchmark:
            "results/benchmarks/assemble_safe/{scene}.tsv"
        conda:
            "../../envs/snap.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=30,
        params:
            settings=settings_of("assemble_safe"),
        script:
            "../scripts/assemble_safe.py"


rule orbit:
    input:
        named=config_files_of("orbit"),
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
    input:
        named=config_files_of("dem"),
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
