"""The tiny config through a real SLURM (Debian's slurm-wlm on localhost) with the workflow's
SLURM profile: every job goes through the scheduler, and the products equal a local run's."""

from __future__ import annotations

import shutil

import pytest
import yaml

from massmove.provenance import tree_digests
from tests.runs import CONFIG_NAME, REPO, TINY, snakemake
from tests.slurm.cluster import LocalSlurm

# The profile as it is; only the first status poll comes after 2 s instead of 20 s.
SLURM_ARGS = (
    "--profile",
    str(REPO / "profiles/slurm"),
    "--workflow-profile",
    "none",
    "--slurm-init-seconds-before-status-checks",
    "2",
    # as on a cluster, the local core count must not cap the profile's threads (a later
    # --cores overrides the helper's --cores 2)
    "--cores",
    "64",
)


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.mark.slow
def test_tiny_config_through_slurm_equals_the_local_run(slurm_cluster, tiny_run, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / CONFIG_NAME).write_text(yaml.safe_dump(TINY))
    snakemake(
        run_dir,
        "--configfile",
        str(run_dir / CONFIG_NAME),
        *SLURM_ARGS,
        env=slurm_cluster.env,
        timeout_s=1500,
    )
    jobs = slurm_cluster.jobs()
    rules = sorted(job["comment"].removeprefix("rule_").split("_wildcards_")[0] for job in jobs)
    # every job of the DAG (but the local target `all`) ran as a SLURM job, and completed
    expected = {
        "simulate_ground": 1,
        "simulate": 4,
        "simulate_truth": 2,
        "interferogram": 2,
        "pair_table": 1,
        "training_scene": 1,
        "calibration_scene": 1,
        "train": 2,
        "calibrate": 1,
        "segment": 4,
        "vectorise": 4,
        "merge_detections": 2,
        "evaluate_pair": 4,
        "evaluation": 2,
        "provenance": 1,
        "report": 1,
        "raster_styles": 2,
        "qgis_project": 1,
    }
    assert {rule: rules.count(rule) for rule in set(rules)} == expected
    assert {job["state"] for job in jobs} == {"COMPLETED"}
    # SLURM's own logs of the jobs (the profile keeps them)
    assert len(list((run_dir / ".snakemake/slurm_logs").rglob("*.log"))) == sum(expected.values())
    # the profile's resources reached SLURM: a GPU for train, calibrate and segment (the node's
    # GPU is a stand-in, the members ran on the CPU), its threads as CPUs
    for job in jobs:
        rule = job["comment"].removeprefix("rule_").split("_wildcards_")[0]
        # the ensemble's segment jobs ask for a GPU, the baseline's (results/baseline) do not
        on_gpu = rule in ("train", "calibrate") or (rule == "segment" and "baseline" not in job["comment"])
        assert (job["tres_per_job"] == "gres:gpu:1") == on_gpu, job
        assert int(job["cpus"]) == {
            "interferogram": 8,
            "simulate": 4,
            "training_scene": 4,
            "calibration_scene": 4,
            "train": 4,
            "calibrate": 4,
            "segment": 4,
        }.get(rule, 1), job
    local, on_slurm = tree_digests(tiny_run), tree_digests(run_dir)
    assert len(local) > 50
    assert on_slurm == local
    shutil.rmtree(run_dir / "resources")  # large; the comparison is done
