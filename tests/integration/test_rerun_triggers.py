"""A changed config key reruns exactly the jobs whose stages read it (massmove.settings), on the
finished tiny run: a dry run with the changed config lists the jobs Snakemake would rerun."""

from __future__ import annotations

import copy

import pytest
import yaml

from tests.runs import TINY, job_counts, snakemake


def changed(base: dict, override: dict) -> dict:
    """``base`` with ``override`` merged in key by key."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        merged[key] = changed(merged.get(key, {}), value) if isinstance(value, dict) else value
    return merged


# jobs a provenance record and report always redo: they present the whole config
RECORD = {"provenance": 1, "report": 1}
# the QGIS project lists every pair's polygons and rasters: it follows any change to them
PROJECT = {"qgis_project": 1}
# the ensemble's branch after its members: inference, polygons and scores of its 2 pairs
ENSEMBLE_BRANCH = {
    "segment": 2,
    "vectorise": 2,
    "evaluate_pair": 2,
    "evaluation": 1,
    "merge_detections": 1,
    **PROJECT,
    **RECORD,
}
# the tiny run: 2 tracks x 1 baseline = 2 pairs, 2 members, the baseline beside the ensemble
CASES = {
    # the pairs and the acquisitions of each track change: everything but the ground reruns
    # (the training scene too, which the former rules left stale), and a third date is added
    "baselines_days": (
        {"baselines_days": [12, 18]},
        {
            "pair_table": 1,
            "simulate": 6,
            "simulate_truth": 4,
            "interferogram": 4,
            # a style beside each pair's phase and likelihood
            "raster_styles": 4,
            # the training scene and the calibration scene
            "training_scene": 1,
            "calibration_scene": 1,
            "train": 2,
            "calibrate": 1,
            "segment": 8,
            "vectorise": 8,
            "evaluate_pair": 8,
            "evaluation": 2,
            "merge_detections": 2,
            **PROJECT,
            **RECORD,
        },
    ),
    # the patch size: members and both detectors' segmentation (the baseline reads it too),
    # none of the scenes or interferograms
    "train.patch_px": (
        {"train": {"patch_px": 32, "stride_px": 8}},
        {
            "train": 2,
            "calibrate": 1,
            "segment": 4,
            "vectorise": 4,
            "evaluate_pair": 4,
            "evaluation": 2,
            "merge_detections": 2,
            **PROJECT,
            **RECORD,
        },
    ),
    # the training scenes' generator: the training and calibration scenes, the members and the
    # ensemble's branch
    "train.generator": (
        {"train": {"generator": "phase"}},
        {
            "training_scene": 1,
            "calibration_scene": 1,
            "train": 2,
            "calibrate": 1,
            **ENSEMBLE_BRANCH,
        },
    ),
    # label-dense training scenes: the training scene, the members and the ensemble's branch;
    # the calibration scene keeps the published densities and is not remade
    "train.movement_density_factor": (
        {"train": {"movement_density_factor": 3.0}},
        {"training_scene": 1, "train": 2, "calibrate": 1, **ENSEMBLE_BRANCH},
    ),
    # the threshold: both detectors' polygons, their support and scores, no inference, no training
    "detection.threshold": (
        {"detection": {"threshold": 0.5}},
        {"vectorise": 4, "evaluate_pair": 4, "evaluation": 2, "merge_detections": 2, **PROJECT, **RECORD},
    ),
    # what confirms a detection: both detectors' merged layers and pooled scores, no polygon of
    # a pair, no inference
    "detection.min_support": (
        {"detection": {"min_support": 3}},
        {"merge_detections": 2, "evaluation": 2, **PROJECT, **RECORD},
    ),
    # the ensemble's arithmetic: its calibration (made as it is deployed) and its branch, not the
    # baseline's
    "segment.precision": (
        {"segment": {"precision": "bf16"}},
        {"calibrate": 1, **ENSEMBLE_BRANCH},
    ),
    # the calibration's floor: the calibration and the ensemble's branch, no training, no scene
    "train.calibration.min_matched": (
        {"train": {"calibration": {"min_matched": 50}}},
        {"calibrate": 1, **ENSEMBLE_BRANCH},
    ),
    # an evaluation rule: the evaluations only
    "evaluation.coverage_thresholds": (
        {"evaluation": {"coverage_thresholds": [0.3]}},
        {"evaluate_pair": 4, "evaluation": 2, **RECORD},
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(CASES))
def test_a_changed_key_reruns_exactly_the_jobs_that_read_it(tiny_run, tmp_path, key):
    override, expected = CASES[key]
    config = tmp_path / "changed.yaml"
    config.write_text(yaml.safe_dump(changed(TINY, override)))
    result = snakemake(tiny_run, "--configfile", str(config), "-n", "--quiet", "rules")
    counts = job_counts(result.stdout)
    assert counts.pop("all") == 1
    assert counts.pop("total") == sum(expected.values()) + 1
    assert counts == expected
