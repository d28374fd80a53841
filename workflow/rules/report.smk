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
