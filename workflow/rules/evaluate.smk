# Evaluation: every pair's detections and likelihood against reference polygons, then pooled
# (for each detector of the run).


rule evaluate_pair:
    input:
        detections="{tree}/detections/{pair}.gpkg",
        likelihood="{tree}/likelihood/{pair}.tif",
        reference=get_reference,
    output:
        evaluation="{tree}/evaluation/{pair}.json",
    log:
        "logs/evaluate_pair/{tree}/{pair}.log",
    benchmark:
        "results/benchmarks/evaluate_pair/{tree}/{pair}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        settings=settings_of("evaluate_pair"),
    script:
        "../scripts/evaluate_pair.py"


rule evaluation:
    input:
        pairs=get_pair_evaluations,
        merged="{tree}/detections.gpkg",
        references=get_pair_references,
        likelihoods=get_pair_likelihoods,
    output:
        evaluation="{tree}/evaluation.json",
    log:
        "logs/evaluation/{tree}/evaluation.log",
    benchmark:
        "results/benchmarks/evaluation/{tree}/evaluation.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=settings_of("evaluation"),
        pairs=lambda wildcards: get_run_pairs(),
    script:
        "../scripts/evaluation.py"
