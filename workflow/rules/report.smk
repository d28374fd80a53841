# The run report: one self-contained HTML page (results/report.html), made after the
# provenance record it presents. Also listed in `snakemake --report` with its caption.


rule report:
    input:
        unpack(get_report_inputs),
    output:
        report=report(
            "results/report.html",
            caption="../report/run_report.rst",
            category="Run report",
        ),
    log:
        "logs/report/report.log",
    benchmark:
        "results/benchmarks/report/report.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=15,
    params:
        settings=settings_of("report"),
        benchmark_dir="results/benchmarks",
    script:
        "../scripts/report.py"


# QGIS: a style beside each pair's rasters (QGIS applies {name}.qml when it opens {name}.tif)
# and a project of the run's layers with their styles (results/massmove.qgs). The merged
# detections carry their own default style (merge_detections).


rule raster_styles:
    input:
        product="results/interferograms/{pair}.tif",
    output:
        phase="results/interferograms/{pair}.qml",
        likelihood="results/likelihood/{pair}.qml",
    log:
        "logs/raster_styles/{pair}.log",
    benchmark:
        "results/benchmarks/raster_styles/{pair}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        settings=settings_of("raster_styles"),
    script:
        "../scripts/raster_styles.py"


rule qgis_project:
    input:
        unpack(get_qgis_inputs),
    output:
        project="results/massmove.qgs",
    log:
        "logs/report/qgis_project.log",
    benchmark:
        "results/benchmarks/report/qgis_project.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        settings=settings_of("qgis_project"),
    script:
        "../scripts/qgis_project.py"
