"""Provenance of a run: what made its products, and the sha256 of every input and output.

``results/provenance.json`` (rule ``provenance``, the last job of every run) records the full
resolved config and its digest, the software versions, the seeds, the device, the workflow
(Snakefile, git commit) and the sha256 of every file of the run's ``resources/`` and
``results/`` trees plus the files the config names (operators' checkpoints, labelled data, a
replayed search, a user DEM or orbit directory, the AOI's vector file, the agreement's
annotations). ``massmove audit`` (:mod:`massmove.audit`)
reruns the recorded config and compares.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from massmove import __version__
from massmove.config import config_digest
from massmove.io.digest import file_hexdigest
from massmove.settings import STAGE_KEYS, aoi_path, select

PROVENANCE_FORMAT = 1
# The trees of a run whose files are inputs or products.
RUN_TREES = ("resources", "results")
# Not products: timings (they differ on every run), the record itself, audit reports and the
# run report (it shows the timings).
NOT_PRODUCTS = (
    "results/benchmarks/",
    "results/provenance.json",
    "results/audit.json",
    "results/report.html",
)
# Python distributions whose versions a result depends on (recorded when installed).
DISTRIBUTIONS = (
    "massmove",
    "snakemake",
    "snakemake-executor-plugin-slurm",
    "numpy",
    "scipy",
    "dask",
    "distributed",
    "xarray",
    "rioxarray",
    "rasterio",
    "pyogrio",
    "shapely",
    "geopandas",
    "pyproj",
    "zarr",
    "torch",
    "torchvision",
    "segmentation-models-pytorch",
    "safetensors",
    "asf-search",
    "sentineleof",
    "GDAL",
    "pyroSAR",
)


def is_product(relative_path: str) -> bool:
    """Whether a run-relative path (POSIX form) is a product the audit compares.

    Examples
    --------
    >>> is_product("results/interferograms/A088_20180801_20180813.tif")
    True
    >>> is_product("results/benchmarks/segment/A088_20180801_20180813.tsv")
    False
    """
    return not any(relative_path == p or relative_path.startswith(p) for p in NOT_PRODUCTS) and not any(
        part.startswith(".") for part in relative_path.split("/")
    )


def tree_digests(run_dir: str | Path, trees: Iterable[str] = RUN_TREES) -> dict[str, str]:
    """sha256 of every product file under the run's trees, keyed by run-relative POSIX path.

    Hidden entries (atomic-write temporaries, ``.snakemake``) and :data:`NOT_PRODUCTS` are
    left out; symbolic links are followed.
    """
    run_dir = Path(run_dir)
    digests: dict[str, str] = {}
    for tree in trees:
        root = run_dir / tree
        if not root.exists():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = path.relative_to(run_dir).as_posix()
            if is_product(relative):
                digests[relative] = file_hexdigest(path, "sha256")
    return digests


def named_inputs(config: Mapping[str, Any]) -> list[str]:
    """Paths of the files and directories the config names as inputs, as written in it."""
    named = [
        aoi_path(config["aoi"]),
        config["orbits"]["path"],
        config["dem"]["path"],
        config["evaluation"]["reference"],
        *config["model"]["checkpoints"],
        *config["agreement"]["annotations"].values(),
    ]
    for key in ("response", "burst_response"):  # a path or a list of paths
        replay = config["search"][key]
        named += [replay] if isinstance(replay, str) else list(replay or [])
    for entry in (*config["train"]["labelled"], *config["train"]["calibration"]["labelled"]):
        named += [entry["interferogram"], entry["labels"]]
    if config["source"] == "files":  # the interferograms made elsewhere
        named.append(config["files"]["folder"])
        for item in config["files"]["interferograms"]:
            named += [item["phase"], item.get("coherence")]
    return [str(p) for p in named if p]


def named_input_digests(config: Mapping[str, Any], run_dir: str | Path) -> dict[str, dict[str, str]]:
    """Per named input: its sha256 per file (relative to it; ``"."`` for a plain file).

    Relative paths are taken from the run directory, as the workflow does.
    """
    run_dir = Path(run_dir)
    result: dict[str, dict[str, str]] = {}
    for name in named_inputs(config):
        path = Path(name).expanduser()
        path = path if path.is_absolute() else run_dir / path
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            result[name] = {p.relative_to(path).as_posix(): file_hexdigest(p, "sha256") for p in files}
        elif path.is_file():
            result[name] = {".": file_hexdigest(path, "sha256")}
        else:
            result[name] = {}
    return result


def software_versions() -> dict[str, str]:
    """Versions of Python, the platform and every installed distribution of
    :data:`DISTRIBUTIONS`, plus GDAL's library version as rasterio sees it."""
    versions = {"python": platform.python_version(), "platform": platform.platform()}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    import rasterio

    versions["libgdal"] = rasterio.__gdal_version__
    return versions


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def device_record(config: Mapping[str, Any], run_dir: str | Path) -> dict[str, Any]:
    """The machine this record was written on and the device and arithmetic every ensemble
    member and likelihood raster records for itself (they may have run on other nodes)."""
    run_dir = Path(run_dir)
    record: dict[str, Any] = {
        "configured": config["model"]["device"],
        "host_cpu": _cpu_model(),
        "host_cpu_count": os.cpu_count(),
    }
    try:
        import torch

        record["cuda_available"] = bool(torch.cuda.is_available())
        if record["cuda_available"]:
            record["cuda_device"] = torch.cuda.get_device_name(0)
    except ImportError:
        record["cuda_available"] = False
    members = {}
    for meta in sorted((run_dir / "results" / "models").glob("*/massmove.json")):
        member = json.loads(meta.read_text())
        members[meta.parent.name] = {
            k: member[k] for k in ("device", "precision", "torch_threads") if k in member
        }
    record["members"] = members
    likelihoods = {}
    for tif in sorted((run_dir / "results" / "likelihood").glob("*.tif")):
        import rasterio

        with rasterio.open(tif) as src:
            tags = src.tags()
        likelihoods[tif.stem] = {k: tags[k] for k in ("device", "precision") if k in tags}
    record["likelihoods"] = likelihoods
    return record


def seed_record(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every seed the config sets."""
    return {
        "synthetic_seed": config["synthetic"]["seed"],
        "train_seed": config["train"]["seed"],
        "training_scene_seeds": list(config["train"]["synthetic_seeds"]),
        "calibration_scene_seeds": list(config["train"]["calibration"]["synthetic_seeds"]),
    }


def workflow_record(snakefile: str | Path) -> dict[str, Any]:
    """The Snakefile run and, where it lies in a git checkout, its commit and whether the
    checkout had uncommitted changes."""
    snakefile = Path(snakefile).resolve()
    record: dict[str, Any] = {"snakefile": str(snakefile), "git_commit": None, "git_dirty": None}
    try:
        commit = subprocess.run(
            ["git", "-C", str(snakefile.parent), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if commit.returncode == 0:
            record["git_commit"] = commit.stdout.strip()
            status = subprocess.run(
                ["git", "-C", str(snakefile.parent), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            record["git_dirty"] = bool(status.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return record


def build_provenance(config: Mapping[str, Any], run_dir: str | Path, snakefile: str | Path) -> dict[str, Any]:
    """The provenance record of the run in ``run_dir`` (see the module docstring)."""
    run_dir = Path(run_dir).resolve()
    files = tree_digests(run_dir)
    return {
        "format": PROVENANCE_FORMAT,
        "written_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "run_dir": str(run_dir),
        "config_digest": config_digest(config),
        "config": json.loads(json.dumps(config, default=str)),
        # the digest each stage's settings have under this config (the settings_digest tag of
        # the products it made): an audit can tell which products another config would change
        "settings_digests": {
            stage: config_digest(select(config, keys))
            for stage, keys in STAGE_KEYS.items()
            if stage != "provenance"
        },
        "massmove_version": __version__,
        "versions": software_versions(),
        "snap_versions": _snap_versions(run_dir, config),
        "seeds": seed_record(config),
        "device": device_record(config, run_dir),
        "workflow": workflow_record(snakefile),
        "named_inputs": named_input_digests(config, run_dir),
        "inputs": {p: d for p, d in files.items() if p.startswith("resources/")},
        "outputs": {p: d for p, d in files.items() if p.startswith("results/")},
    }


def _snap_versions(run_dir: Path, config: Mapping[str, Any]) -> list[str]:
    """The ``engine_version`` of every SNAP-made interferogram (empty for the built-in engine)."""
    if config["interferogram"]["engine"] != "snap":
        return []
    import rasterio

    found = set()
    for tif in sorted((run_dir / "results" / "interferograms").glob("*.tif")):
        with rasterio.open(tif) as src:
            found.add(src.tags().get("engine_version", "unknown"))
    return sorted(found)
