# Wrapped interferograms of real acquisitions with ESA SNAP (interferogram.engine: snap).


rule snap_graph:
    input:
        named=config_files_of("snap_graph"),
        pairs="results/pairs.csv",
        reference=lambda wc: get_pair_slices(wc, "reference"),
        secondary=lambda wc: get_pair_slices(wc, "secondary"),
        dem=get_snap_dem,
    output:
        graph="results/snap/{pair}/graph.xml",
        bursts="results/snap/{pair}/bursts.json",
    log:
        "logs/snap_graph/{pair}.log",
    benchmark:
        "results/benchmarks/snap_graph/{pair}.tsv"
    conda:
        "../../envs/snap.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=settings_of("snap_graph"),
        output_stem="results/snap/{pair}/snap_output",
    script:
        "../scripts/snap_graph.py"


rule interferogram:
    input:
        named=config_files_of("snap_interferogram"),
        pairs="results/pairs.csv",
        graph="results/snap/{pair}/graph.xml",
        reference=lambda wc: get_pair_slices(wc, "reference"),
        secondary=lambda wc: get_pair_slices(wc, "secondary"),
        orbits=get_pair_orbits,
        orbit_records=get_pair_orbit_records,
        dem=get_snap_dem,
    output:
        product="results/interferograms/{pair}.tif",
    log:
        "logs/interferogram/{pair}.log",
    benchmark:
        "results/benchmarks/interferogram/{pair}.tsv"
    conda:
        "../../envs/snap.yaml"
    threads: 4
    resources:
        mem_mb=16000,
        runtime=240,
    params:
        settings=settings_of("snap_interferogram"),
    script:
        "../scripts/snap_interferogram.py"
