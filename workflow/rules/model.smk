# The segmentation ensemble: synthetic training scenes, one member per fold, segmentation.


rule training_scene:
    output:
        scene=directory("resources/training/seed{seed}"),
    log:
        "logs/training_scene/seed{seed}.log",
    benchmark:
        "results/benchmarks/training_scene/seed{seed}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=6000,
        runtime=30,
    params:
        synthetic=lookup(dpath="synthetic", within=config),
        interferogram=lookup(dpath="interferogram", within=config),
    script:
        "../scripts/training_scene.py"


rule train:
    input:
        scenes=get_training_scenes,
        labelled=get_labelled_files,
    output:
        member=directory("results/models/trained/fold{fold}"),
    log:
        "logs/train/fold{fold}.log",
    benchmark:
        "results/benchmarks/train/fold{fold}.tsv"
    conda:
        "../../envs/torch.yaml"
    # one thread per member: results do not depend on --cores, members train side by side
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        model=lookup(dpath="model", within=config),
        train=lookup(dpath="train", within=config),
    script:
        "../scripts/train.py"


rule calibrate:
    input:
        trained=get_trained_members,
        scenes=get_training_scenes,
        labelled=get_labelled_files,
    output:
        members=[
            directory(member) for member in expand_members("results/models/fold{fold}")
        ],
        calibration="results/models/calibration.json",
    log:
        "logs/calibrate/calibrate.log",
    benchmark:
        "results/benchmarks/calibrate/calibrate.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        calibration=lookup(dpath="train/calibration", within=config),
        iou_threshold=lookup(dpath="evaluation/iou_threshold", within=config),
        labelled=lookup(dpath="train/labelled", within=config),
        label_class=lookup(dpath="train/label_class", within=config),
    script:
        "../scripts/calibrate.py"


rule segment:
    input:
        product="results/interferograms/{pair}.tif",
        members=get_ensemble,
    output:
        likelihood="results/likelihood/{pair}.tif",
    log:
        "logs/segment/{pair}.log",
    benchmark:
        "results/benchmarks/segment/{pair}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        model=lookup(dpath="model", within=config),
        segment=lookup(dpath="segment", within=config),
        detection=lookup(dpath="detection", within=config),
        detector=PRIMARY_DETECTOR,
    script:
        "../scripts/segment.py"


rule baseline_segment:
    input:
        product="results/interferograms/{pair}.tif",
    output:
        likelihood="results/baseline/likelihood/{pair}.tif",
    log:
        "logs/baseline_segment/{pair}.log",
    benchmark:
        "results/benchmarks/baseline_segment/{pair}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        baseline=lookup(dpath="model/baseline", within=config),
        segment=lookup(dpath="segment", within=config),
        detection=lookup(dpath="detection", within=config),
        detector="baseline",
    script:
        "../scripts/segment.py"
