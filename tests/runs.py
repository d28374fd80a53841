"""The tiny test config and how the tests run the workflow (as a user does: from another
directory)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]
CONFIG_NAME = "tiny.yaml"
TINY = {
    "tracks": ["A088", "D066"],
    "baselines_days": [12],
    # seeds whose truth holds a coherent pattern (A088): something to train on and to find
    "synthetic": {"seed": 31347, "extent_km": [3.0, 3.0], "margin_m": 300.0},
    # a small ensemble trained briefly on one small training scene: tests the chain, not the skill
    "train": {
        "synthetic_seeds": [31359],
        "epochs": 1,
        "patch_px": 64,
        "stride_px": 16,
        "fold_block_px": 128,
        "negative_share": 1.0,
        "hard_negative_share": 1.0,
        "batch_size": 8,
        "mining": {"share": 0.5, "epochs": 1},
        # a calibration scene of its own ground; one match is enough to use the calibration here
        "calibration": {
            "synthetic_seeds": [31361],
            "thresholds": [0.3, 0.5, 0.7],
            "min_areas_m2": [0.0, 3000.0],
            "min_matched": 1,
        },
    },
    "model": {"ensemble_size": 2},
    "segment": {"chunk_px": 128, "stride_px": 32},
}


def snakemake(
    run_dir: Path, *args: str, check: bool = True, env: dict | None = None, timeout_s: int = 1200
) -> subprocess.CompletedProcess:
    """Run the workflow in ``run_dir`` on 2 cores; raise with its output tail when it fails."""
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(run_dir), "--cores", "2", *args],
        cwd=run_dir.parent,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def job_counts(dry_run_stdout: str) -> dict[str, int]:
    """Jobs per rule from the job-stats table of a dry run."""
    lines = dry_run_stdout.split("Job stats:")[1].splitlines()
    rows = [line.split() for line in lines[3:]]
    return {row[0]: int(row[1]) for row in rows[: next(i for i, r in enumerate(rows) if not r)]}
