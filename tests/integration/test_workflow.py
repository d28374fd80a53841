"""The workflow end to end, run as a user runs it: snakemake from another directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from rio_cogeo.cogeo import cog_validate

from massmove.fidelity import product_fidelity

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]
CONTRACT_TAGS = {
    "pair_id",
    "track",
    "direction",
    "relative_orbit",
    "reference",
    "secondary",
    "baseline_days",
    "perpendicular_baseline_m",
    "wavelength_m",
    "heading_deg",
    "incidence_deg",
    "engine",
    "engine_version",
    "config_digest",
}
CONFIG_NAME = "tiny.yaml"
TINY = {
    "tracks": ["A088", "D066"],
    "baselines_days": [12],
    "synthetic": {"seed": 31337, "extent_km": [3.0, 3.0], "margin_m": 300.0},
}


def snakemake(run_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(run_dir), "--cores", "2", *args],
        cwd=run_dir.parent,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def test_lint_is_clean():
    result = subprocess.run([*SNAKEMAKE, "--lint"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations" in result.stdout + result.stderr


def test_default_dry_run_lists_every_job(tmp_path):
    result = snakemake(tmp_path, "-n", "--quiet", "rules")
    counts = dict(
        line.split()[:2]
        for line in result.stdout.splitlines()
        if line.split()
        and line.split()[0]
        in {"simulate", "simulate_ground", "simulate_truth", "interferogram", "pair_table"}
    )
    assert counts == {
        "simulate": "6",
        "simulate_ground": "1",
        "simulate_truth": "4",
        "interferogram": "4",
        "pair_table": "1",
    }


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("tiny") / "run"
    run_dir.mkdir()
    (run_dir / CONFIG_NAME).write_text(yaml.safe_dump(TINY))
    snakemake(run_dir, "--configfile", str(run_dir / CONFIG_NAME))
    return run_dir


@pytest.mark.slow
def test_tiny_run_products(tiny_run):
    pairs = pd.read_csv(tiny_run / "results/pairs.csv")
    assert list(pairs["pair_id"]) == ["A088_20180801_20180813", "D066_20180801_20180813"]
    for pair_id in pairs["pair_id"]:
        product = tiny_run / f"results/interferograms/{pair_id}.tif"
        valid, errors, _ = cog_validate(str(product))
        assert valid, errors
        with rasterio.open(product) as src:
            tags = src.tags()
            assert CONTRACT_TAGS <= set(tags), CONTRACT_TAGS - set(tags)
            assert src.descriptions == ("wrapped_phase", "coherence")
            assert src.crs.to_epsg() == 2056 and src.res == (12.5, 12.5)
            phase, coherence = src.read(1), src.read(2)
        assert tags["pair_id"] == pair_id and tags["engine"] == "builtin" and tags["baseline_days"] == "12"
        assert np.nanmin(phase) > -np.pi and np.nanmax(phase) <= np.pi
        assert np.nanmin(coherence) >= 0 and np.nanmax(coherence) <= 1
        assert np.isfinite(phase).mean() > 0.99
        fidelity = product_fidelity(product, tiny_run / f"results/truth/{pair_id}_phase.tif")
        assert fidelity["phase_fidelity"] >= 0.9, fidelity
        truth = gpd.read_file(tiny_run / f"results/truth/{pair_id}.gpkg")
        assert set(truth["class"]) <= {"coherent", "incoherent"}
        assert truth.crs.to_epsg() == 2056


@pytest.mark.slow
def test_rerun_has_nothing_to_do(tiny_run):
    result = snakemake(tiny_run, "--configfile", str(tiny_run / CONFIG_NAME), "-n")
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.slow
def test_typo_in_config_stops_with_one_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("synthetic:\n  sed: 3\n")
    result = snakemake(tmp_path, "--configfile", str(tmp_path / "bad.yaml"), "-n", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("massmove: error:")]
    assert errors == [errors[0]] and "config key 'synthetic.sed': unknown key" in errors[0]


@pytest.mark.slow
def test_corrupt_slc_store_stops_and_leaves_no_product(tiny_run, tmp_path):
    run_dir = tmp_path / "copy"
    shutil.copytree(tiny_run, run_dir, symlinks=True)
    pair_id = "A088_20180801_20180813"
    product = run_dir / f"results/interferograms/{pair_id}.tif"
    product.unlink()
    store = run_dir / "resources/slc/SYN_A088_20180813T172430.zarr"
    chunk = next(p for p in (store / "slc").rglob("*") if p.is_file() and p.name != "zarr.json")
    data = bytearray(chunk.read_bytes())
    data[100] ^= 0x55
    chunk.write_bytes(bytes(data))
    result = snakemake(
        run_dir, "--configfile", str(run_dir / CONFIG_NAME), "--allowed-rules", "interferogram", check=False
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("massmove: error:")]
    assert len(lines) == 1 and "SYN_A088_20180813T172430.zarr" in lines[0] and "sha256" in lines[0]
    assert not product.exists()
    assert not list(product.parent.glob(f".{product.name}*"))


@pytest.mark.slow
def test_missing_slc_store_is_named(tiny_run, tmp_path):
    run_dir = tmp_path / "copy"
    shutil.copytree(tiny_run, run_dir, symlinks=True)
    (run_dir / "results/interferograms/D066_20180801_20180813.tif").unlink()
    shutil.rmtree(run_dir / "resources/slc/SYN_D066_20180801T053350.zarr")
    result = snakemake(
        run_dir, "--configfile", str(run_dir / CONFIG_NAME), "--allowed-rules", "interferogram", check=False
    )
    assert result.returncode != 0
    assert "resources/slc/SYN_D066_20180801T053350.zarr" in result.stdout + result.stderr
    assert not (run_dir / "results/interferograms/D066_20180801_20180813.tif").exists()
