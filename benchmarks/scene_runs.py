"""Run the workflow on one synthetic scene directory (shared by the benchmark scripts)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]


def run_workflow(
    scene_dir: Path,
    overrides: Mapping[str, Any],
    targets: Sequence[str],
    *,
    base_config: Path | None,
    cores: int,
    name: str,
    extra_args: Sequence[str] = (),
) -> None:
    """Run Snakemake for ``targets`` in ``scene_dir`` with ``overrides`` on top of the config.

    The overrides go to ``scene_dir/{name}.yaml``, Snakemake's output to ``scene_dir/{name}.log``;
    finished products are reused; the first failing job stops the run (``CalledProcessError``).
    """
    scene_dir.mkdir(parents=True, exist_ok=True)
    override_file = scene_dir / f"{name}.yaml"
    override_file.write_text(yaml.safe_dump(dict(overrides), sort_keys=True))
    config_files = [str(base_config.resolve())] if base_config else []
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        str(cores),
        "--directory",
        str(scene_dir),
        *targets,
        *extra_args,  # after the targets: options such as --rerun-triggers take several values
    ]
    command += ["--configfile", *config_files, str(override_file)]
    with open(scene_dir / f"{name}.log", "w") as log:
        subprocess.run(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, check=True)
