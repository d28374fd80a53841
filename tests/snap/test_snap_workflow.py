"""The SNAP rules end to end with a stand-in gpt: graph, gpt run, product with every tag."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from rasterio.transform import from_origin

from massmove.io.raster_io import read_bands
from tests.integration.test_workflow import CONTRACT_TAGS
from tests.snap.conftest import AOI_TWO_SUBSWATHS
from tests.snap.fake_gpt import expected_coherence, expected_phase

REPO = Path(__file__).resolve().parents[2]
PAIR = "D168_20210401_20210413"


def _prepare_run(run_dir: Path, safe_pair: tuple[Path, Path], gpt: Path) -> Path:
    """A run of real acquisitions whose search, downloads, orbits and DEM are done."""
    reference, secondary = safe_pair
    (run_dir / "results" / "search").mkdir(parents=True)
    scenes = [p.stem for p in safe_pair]
    pd.DataFrame({"scene_id": scenes}).to_csv(run_dir / "results/scenes.csv", index=False)
    pd.DataFrame(
        [
            {
                "pair_id": PAIR,
                "track": "D168",
                "direction": "descending",
                "relative_orbit": 168,
                "reference_scene": scenes[0],
                "secondary_scene": scenes[1],
                "reference_datetime": "2021-04-01T05:26:22+00:00",
                "secondary_datetime": "2021-04-13T05:26:22+00:00",
                "baseline_days": 12,
            }
        ]
    ).to_csv(run_dir / "results/pairs.csv", index=False)
    (run_dir / "results/search_report.json").write_text("{}")
    slc = run_dir / "resources/slc"
    slc.mkdir(parents=True)
    orbits = run_dir / "resources/orbits"
    orbits.mkdir(parents=True)
    for path, day in ((reference, "20210331"), (secondary, "20210412")):
        (slc / path.name).write_bytes(path.read_bytes())
        (orbits / f"{path.stem}.EOF").write_text("<Earth_Explorer_File/>")
        name = (
            f"S1B_OPER_AUX_POEORB_OPOD_{day}T111111_V{day}T225942_{day[:6]}{int(day[6:]) + 2:02d}T005942.EOF"
        )
        (orbits / f"{path.stem}.json").write_text(json.dumps({"orbit_file": name}))
    dem = run_dir / "resources/dem"
    (dem / "tiles").mkdir(parents=True)
    # a DEM over the AOI in UTM 32N (what the dem rule writes)
    profile = {
        "driver": "GTiff",
        "width": 1500,
        "height": 1000,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:32632",
        "transform": from_origin(652000.0, 5138000.0, 12.5, 12.5),
    }
    with rasterio.open(dem / "aoi_dem.tif", "w", **profile) as dst:
        dst.write(np.full((1000, 1500), 1500.0, dtype=np.float32), 1)
    # downloads and orbits are newer than the scene table they were made from, all in the past
    searched = time.time() - 100
    for path in (run_dir / "results").rglob("*"):
        os.utime(path, (searched, searched))
    for path in [*slc.iterdir(), *orbits.iterdir(), dem / "aoi_dem.tif", dem / "tiles"]:
        os.utime(path, (searched + 50, searched + 50))
    config = {
        "source": "asf",
        "aoi": list(AOI_TWO_SUBSWATHS),
        "tracks": ["D168"],
        "baselines_days": [12],
        "period": {"start": "2021-03-25", "end": "2021-04-20"},
        "crs": "EPSG:32632",
        "search": {"polarisation": "VH"},
        "interferogram": {"engine": "snap"},
        "snap": {"gpt": str(gpt), "auxdata_dir": str(run_dir / "snap-auxdata")},
    }
    path = run_dir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _snakemake(run_dir: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(run_dir)]
        + ["--configfile", str(config), "--cores", "2", *args],
        cwd=run_dir,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ},
    )


@pytest.mark.slow
def test_stand_in_gpt_run_yields_a_valid_product(tmp_path, safe_pair, fake_gpt):
    gpt, calls = fake_gpt
    run_dir = tmp_path / "run"
    config = _prepare_run(run_dir, safe_pair, gpt)
    target = f"results/interferograms/{PAIR}.tif"
    result = _snakemake(run_dir, config, target, "--resources", "mem_mb=8000")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    # the graph is an output of its own, with the burst selection beside it
    assert (run_dir / f"results/snap/{PAIR}/graph.xml").is_file()
    bursts = json.loads((run_dir / f"results/snap/{PAIR}/bursts.json").read_text())
    assert [s["swath"] for s in bursts["swaths"]] == ["IW1", "IW2"]
    # -q from the rule's threads (4, capped by --cores 2), -c and -Xmx from its mem_mb (capped: 8000)
    argv = [json.loads(line)["argv"] for line in calls.read_text().splitlines()]
    run_call = next(a for a in argv if a[0].endswith("graph.xml"))
    assert run_call[1:] == ["-q", "2", "-c", "4080M", "-J-Xmx6800M"]
    # orbit files placed where SNAP looks, under their original names
    placed = sorted(p.name for p in (run_dir / "snap-auxdata").rglob("*.EOF"))
    assert len(placed) == 2 and all(n.startswith("S1B_OPER_AUX_POEORB") for n in placed)
    assert (run_dir / "snap-auxdata/Orbits/Sentinel-1/POEORB/S1B/2021/03").is_dir()
    # the product: every tag, phase and coherence as SNAP wrote them, on the AOI grid
    bands, grid, tags = read_bands(run_dir / target)
    assert CONTRACT_TAGS <= set(tags)
    assert tags["engine"] == "snap" and tags["engine_version"].startswith("SNAP 10.0.0")
    assert float(tags["perpendicular_baseline_m"]) == pytest.approx(-57.31)
    assert float(tags["wavelength_m"]) == pytest.approx(0.05546576, abs=1e-7)
    assert float(tags["heading_deg"]) == pytest.approx(192.1)
    assert float(tags["incidence_deg"]) == pytest.approx(36.3)
    assert tags["direction"] == "descending" and tags["relative_orbit"] == "168"
    assert grid.crs == "EPSG:32632" and grid.spacing_m == 12.5
    east, north = grid.centres()
    phase, coherence = bands["wrapped_phase"], bands["coherence"]
    valid = np.isfinite(phase)
    assert valid.mean() > 0.99
    error = np.angle(np.exp(1j * (phase[valid] - expected_phase(east, north)[valid])))
    assert np.abs(error).max() < 1e-4
    assert np.abs(coherence[valid] - expected_coherence(east, north)[valid]).max() < 1e-5
    # SNAP's intermediate output is gone
    assert not list((run_dir / f"results/snap/{PAIR}").glob("snap_output*"))
    log = (run_dir / f"logs/interferogram/{PAIR}.log").read_text()
    assert "Processing completed" in log


@pytest.mark.slow
def test_missing_and_failing_gpt_say_so(tmp_path, safe_pair, fake_gpt, monkeypatch):
    gpt, _ = fake_gpt
    run_dir = tmp_path / "run"
    config = _prepare_run(run_dir, safe_pair, gpt)
    target = f"results/interferograms/{PAIR}.tif"
    settings = yaml.safe_load(config.read_text())
    settings["snap"]["gpt"] = str(tmp_path / "snap" / "bin" / "gpt")
    config.write_text(yaml.safe_dump(settings))
    result = _snakemake(run_dir, config, target)
    assert result.returncode != 0
    log = (run_dir / f"logs/interferogram/{PAIR}.log").read_text()
    errors = [line for line in log.splitlines() if "massmove: error:" in line]
    assert len(errors) == 1 and "set snap.gpt" in errors[0]
    settings["snap"]["gpt"] = str(gpt)
    config.write_text(yaml.safe_dump(settings))
    monkeypatch.setenv("FAKE_GPT_EXIT", "3")
    result = _snakemake(run_dir, config, target)
    assert result.returncode != 0
    log = (run_dir / f"logs/interferogram/{PAIR}.log").read_text()
    assert "exit code 3" in log and "OutOfMemoryError" in log
    assert not (run_dir / target).exists()
