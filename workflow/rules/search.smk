# Real acquisitions: ASF search (or a replayed response) and the pair table.


checkpoint search:
    input:
        named=config_files_of("search"),
    output:
        raw=directory("results/search"),
        scenes="results/scenes.csv",
        pairs="results/pairs.csv",
        report="results/search_report.json",
    log:
        "logs/search/search.log",
    benchmark:
        "results/benchmarks/search/search.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=15,
    params:
        settings=settings_of("search"),
    script:
        "../scripts/search.py"
