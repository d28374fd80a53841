"""Provenance of a run and its audit: an untouched run reproduces byte for byte (which is also
the determinism check: a second run of the same config in a fresh directory on the same
machine), and a changed byte is named."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from massmove.audit import AuditResult, Tolerance, compare_file, format_report
from massmove.config import config_digest
from tests.runs import TINY

MASSMOVE = [sys.executable, "-m", "massmove.cli"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_provenance_records_config_versions_seeds_and_every_file(tiny_run):
    record = json.loads((tiny_run / "results/provenance.json").read_text())
    products = {
        p.relative_to(tiny_run).as_posix(): sha256(p)
        for tree in ("results", "resources")
        for p in sorted((tiny_run / tree).rglob("*"))
        if p.is_file()
        and "benchmarks" not in p.parts
        and p.name != "provenance.json"
        and p.relative_to(tiny_run).as_posix() != "results/report.html"  # made after the record
        and not any(part.startswith(".") for part in p.relative_to(tiny_run).parts)
    }
    assert {**record["inputs"], **record["outputs"]} == products
    assert "results/likelihood/A088_20180801_20180813.tif" in record["outputs"]
    (training_seed,) = TINY["train"]["synthetic_seeds"]
    training_product = f"resources/training/seed{training_seed}/interferograms/D066_20180801_20180813.tif"
    assert training_product in record["inputs"]
    assert record["config_digest"] == config_digest(record["config"])
    # every product carries the digest of the settings of the stage that made it
    for product, stage in (
        ("results/interferograms/A088_20180801_20180813.tif", "interferogram"),
        ("results/likelihood/A088_20180801_20180813.tif", "segment:ensemble"),
        ("results/baseline/likelihood/A088_20180801_20180813.tif", "segment:baseline"),
        ("results/truth/A088_20180801_20180813_phase.tif", "simulate_truth"),
    ):
        with rasterio.open(tiny_run / product) as src:
            assert src.tags()["settings_digest"] == record["settings_digests"][stage], product
    seeds = {
        "synthetic_seed": TINY["synthetic"]["seed"],
        "train_seed": 1,
        "training_scene_seeds": [training_seed],
        "calibration_scene_seeds": TINY["train"]["calibration"]["synthetic_seeds"],
    }
    assert record["seeds"] == seeds
    for name in ("massmove", "snakemake", "torch", "segmentation-models-pytorch", "numpy", "libgdal"):
        assert record["versions"][name], name
    assert record["device"]["members"]["fold0"]["device"] == "cpu"
    assert record["device"]["likelihoods"]["D066_20180801_20180813"]["device"] == "cpu"
    assert Path(record["workflow"]["snakefile"]).name == "Snakefile"


@pytest.mark.slow
def test_audit_reproduces_an_untouched_run_and_names_a_changed_byte(tiny_run, tmp_path):
    run_dir = tmp_path / "published"
    shutil.copytree(tiny_run, run_dir, symlinks=True, ignore=shutil.ignore_patterns(".snakemake"))
    rerun_dir = tmp_path / "rerun"
    command = [*MASSMOVE, "audit", str(run_dir / "results/provenance.json"), "--cores", "2"]
    command += ["--workdir", str(rerun_dir), "--json", str(tmp_path / "audit.json")]
    first = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert first.returncode == 0, first.stdout + first.stderr
    report = json.loads((tmp_path / "audit.json").read_text())
    n_files = len(report["files"])
    assert report["ok"] and report["counts"]["identical"] == n_files > 50
    assert first.stdout.strip().splitlines() == [f"OK: {n_files} identical"]

    changed = run_dir / "results/interferograms/D066_20180801_20180813.tif"
    data = bytearray(changed.read_bytes())
    data[len(data) // 2] ^= 0x01
    changed.write_bytes(bytes(data))
    second = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert second.returncode == 1
    report = json.loads((tmp_path / "audit.json").read_text())
    not_identical = {path: entry for path, entry in report["files"].items() if entry["status"] != "identical"}
    assert list(not_identical) == ["results/interferograms/D066_20180801_20180813.tif"]
    assert not_identical[changed.relative_to(run_dir).as_posix()]["changed_since_record"] is True
    assert "different: results/interferograms/D066_20180801_20180813.tif" in second.stdout
    data[len(data) // 2] ^= 0x01
    changed.write_bytes(bytes(data))  # the byte restored

    # a received record names a stranger's Snakefile: the audit runs its own workflow, not that
    record_path = run_dir / "results/provenance.json"
    record = json.loads(record_path.read_text())
    stranger = tmp_path / "stranger" / "Snakefile"
    stranger.parent.mkdir()
    marker = tmp_path / "stranger" / "ran"
    stranger.write_text(f'rule all:\n    run:\n        open("{marker}", "w").write("x")\n')
    record["workflow"]["snakefile"] = str(stranger)
    record["massmove_version"] = "0.0.1"
    record_path.write_text(json.dumps(record))
    third = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert not marker.exists()
    assert third.returncode == 0, third.stdout + third.stderr
    lines = third.stdout.strip().splitlines()
    assert lines[0].startswith("note: massmove ") and lines[0].endswith("recorded by massmove 0.0.1")
    assert lines[-1] == f"OK: {n_files} identical"

    # a named input that leaves the run directory is refused before anything is linked or run
    record["config"]["evaluation"]["reference"] = "../../outside.gpkg"
    record_path.write_text(json.dumps(record))
    fourth = subprocess.run(
        [*command[:-4], "--workdir", str(tmp_path / "rerun2")], capture_output=True, text=True
    )
    assert fourth.returncode == 1 and not (tmp_path / "rerun2").exists()
    assert fourth.stderr.strip().endswith(
        "named input '../../outside.gpkg' of the provenance record leaves the run directory; refused"
    )


def write_band(path: Path, values: np.ndarray, description: str) -> None:
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1}
    transform = from_origin(2_600_000, 1_100_000, 20, 20)
    profile |= {"dtype": "float32", "crs": "EPSG:2056", "transform": transform}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype(np.float32), 1)
        dst.set_band_description(1, description)


def test_tolerance_applies_to_float_rasters_only_when_asked(tmp_path):
    phase = np.full((4, 4), np.pi - 1e-4)
    write_band(tmp_path / "a.tif", phase, "wrapped_phase")
    shifted = phase.copy()
    shifted[0, 0] = -np.pi + 1e-4  # 2e-4 rad away on the circle, 6.28 rad as numbers
    write_band(tmp_path / "b.tif", shifted, "wrapped_phase")
    assert compare_file(tmp_path / "a.tif", tmp_path / "a.tif", Tolerance()) == "identical"
    assert compare_file(tmp_path / "a.tif", tmp_path / "b.tif", Tolerance()) == "different"
    assert compare_file(tmp_path / "a.tif", tmp_path / "b.tif", Tolerance(1e-3)) == "within tolerance"
    assert compare_file(tmp_path / "a.tif", tmp_path / "b.tif", Tolerance(1e-5)) == "different"
    write_band(tmp_path / "c.tif", phase, "likelihood_mean")
    write_band(tmp_path / "d.tif", shifted, "likelihood_mean")
    assert compare_file(tmp_path / "c.tif", tmp_path / "d.tif", Tolerance(1e-3)) == "different"
    (tmp_path / "e.json").write_text('{"a": 1.0}')
    (tmp_path / "f.json").write_text('{"a": 1.0000001}')
    assert compare_file(tmp_path / "e.json", tmp_path / "f.json", Tolerance(1.0)) == "different"


def test_an_audit_that_compared_nothing_is_no_reproduction():
    empty = AuditResult()
    assert not empty.ok
    assert format_report(empty).strip() == "NOT REPRODUCED: nothing compared"


def test_audit_refuses_what_is_not_a_provenance_record(tmp_path):
    (tmp_path / "results").mkdir()
    bogus = tmp_path / "results/provenance.json"
    bogus.write_text('{"config": {}}')
    result = subprocess.run([*MASSMOVE, "audit", str(bogus)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    missing = "no inputs, outputs, run_dir, workflow"
    assert result.stderr.strip() == f"massmove: error: {bogus}: not a massmove provenance record ({missing})"
