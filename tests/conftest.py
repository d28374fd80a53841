"""Shared fixtures: the repository root, the schema, small configs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from massmove.config import resolve_config
from tests.runs import CONFIG_NAME, REPO, TINY, snakemake

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def default_config() -> dict:
    """The full default config."""
    return resolve_config(None, SCHEMA)


@pytest.fixture(scope="session")
def small_config() -> dict:
    """A small synthetic scene (2.5 km, one track and baseline) for fast unit tests."""
    return resolve_config(
        {
            "tracks": ["A088"],
            "baselines_days": [12],
            "synthetic": {"seed": 99, "extent_km": [2.5, 2.5], "margin_m": 300.0},
        },
        SCHEMA,
    )


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """A local run of the tiny config (two tracks, one baseline, 3 km; a 2-member ensemble
    trained for one epoch): tests of the chain, the SLURM executor and the audit share it."""
    run_dir = tmp_path_factory.mktemp("tiny") / "run"
    run_dir.mkdir()
    (run_dir / CONFIG_NAME).write_text(yaml.safe_dump(TINY))
    snakemake(run_dir, "--configfile", str(run_dir / CONFIG_NAME))
    return run_dir
