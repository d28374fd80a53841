# Provenance of the run (the last job of every run) and its audit (on demand: `snakemake audit`).


rule provenance:
    input:
        named=config_files_of("provenance"),
        products=get_final_outputs,
    output:
        provenance="results/provenance.json",
    log:
        "logs/provenance/provenance.log",
    benchmark:
        "results/benchmarks/provenance/provenance.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        settings=settings_of("provenance"),
        snakefile=workflow.main_snakefile,
    script:
        "../scripts/provenance.py"


rule audit:
    input:
        provenance="results/provenance.json",
    output:
        report="results/audit.json",
    log:
        "logs/audit/audit.log",
    benchmark:
        "results/benchmarks/audit/audit.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 4
    resources:
        mem_mb=20000,
        runtime=600,
    params:
        settings=settings_of("audit"),
    script:
        "../scripts/audit.py"
