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
        mem_mb=synthetic_mem_mb("training_scene", 6000),
        runtime=30,
    params:
        settings=settings_of("training_scene"),
    script:
        "../scripts/training_scene.py"


# calibration scenes keep the published densities (the threshold is calibrated at the real
# prevalence of patterns), whatever train.movement_density_factor makes of training scenes
rule calibration_scene:
    output:
        scene=directory("resources/calibration/seed{seed}"),
    log:
        "logs/calibration_scene/seed{seed}.log",
    benchmark:
        "results/benchmarks/calibration_scene/seed{seed}.tsv"
    conda:
        "../../envs/core.yaml"
    threads: 1
    resources:
        mem_mb=synthetic_mem_mb("calibration_scene", 6000),
        runtime=30,
    params:
        settings=settings_of("calibration_scene"),
    script:
        "../scripts/calibration_scene.py"


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
        settings=settings_of("train"),
    script:
        "../scripts/train.py"


# the trained members segment the calibration scenes as a run deploys them (whole scenes,
# blended windows); threshold and smallest polygon are chosen on those likelihoods
rule calibrate:
    input:
        trained=get_trained_members,
        scenes=get_calibration_scenes,
        labelled=get_calibration_files,
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
    threads: 2
    resources:
        mem_mb=3000,
        runtime=60,
        gpu=1,
    params:
        settings=settings_of("calibrate"),
    script:
        "../scripts/calibrate.py"


rule segment:
    input:
        product="results/interferograms/{pair}.tif",
        members=get_detector_members,
    output:
        likelihood="{tree}/likelihood/{pair}.tif",
    log:
        "logs/segment/{tree}/{pair}.log",
    benchmark:
        "results/benchmarks/segment/{tree}/{pair}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
        # the ensemble's inference asks for a GPU where the executor schedules them (SLURM);
        # the baseline's rules run on the CPU
        gpu=lambda wildcards: int(detector_of(wildcards) == "ensemble"),
    params:
        settings=detector_settings_of("segment"),
        detector=detector_of,
    script:
        "../scripts/segment.py"
