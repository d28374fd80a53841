# Evaluation: every pair's detections and likelihood against reference polygons, then pooled.


rule evaluate_pair:
    input:
        detections="results/detections/{pair}.gpkg",
        likelihood="results/likelihood/{pair}.tif",
        reference=get_reference,
    output:
        evaluation="results/evaluation/{pair}.json",
    log:
        "logs/evaluate_pair/{pair}.log",
    benchmark:
        "results/benchmarks/evaluate_pair/{pair}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        evaluation=lookup(dpath="evaluation", within=config),
        threshold=lookup(dpath="detection/threshold", within=config),
    script:
        "../scripts/evaluate_pair.py"


rule evaluation:
    input:
        pairs=get_pair_evaluations,
    output:
        evaluation="results/evaluation.json",
    log:
        "logs/evaluation/evaluation.log",
    benchmark:
        "results/benchmarks/evaluation/evaluation.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        evaluation=lookup(dpath="evaluation", within=config),
    script:
        "../scripts/evaluation.py"


rule baseline_evaluate_pair:
    input:
        detections="results/baseline/detections/{pair}.gpkg",
        likelihood="results/baseline/likelihood/{pair}.tif",
        reference=get_reference,
    output:
        evaluation="results/baseline/evaluation/{pair}.json",
    log:
        "logs/baseline_evaluate_pair/{pair}.log",
    benchmark:
        "results/benchmarks/baseline_evaluate_pair/{pair}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        evaluation=lookup(dpath="evaluation", within=config),
        threshold=lookup(dpath="detection/threshold", within=config),
    script:
        "../scripts/evaluate_pair.py"


rule baseline_evaluation:
    input:
        pairs=get_pair_baseline_evaluations,
    output:
        evaluation="results/baseline/evaluation.json",
    log:
        "logs/baseline_evaluation/baseline_evaluation.log",
    benchmark:
        "results/benchmarks/baseline_evaluation/baseline_evaluation.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        evaluation=lookup(dpath="evaluation", within=config),
    script:
        "../scripts/evaluation.py"
