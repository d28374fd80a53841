"""interferogram.engine hyp3, offline: a replayed search, a loopback stand-in of the HyP3 API
serving products built in the HyP3 layout; the run reaches detections, a rerun submits nothing."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import rasterio
import yaml

from massmove.asf.records import geojson_of
from tests.files import fixtures as fx
from tests.hyp3_standin import HyP3StandIn
from tests.runs import snakemake
from tests.unit.test_asf_search import FIXTURES, valais_records

TOKEN = "hyp3-Tok3n-never-to-be-logged"
PAIRS = {"A088_20180726_20180807", "A088_20180726_20180813"}


def a088_orbit(granule: str) -> int:
    """An absolute orbit of relative orbit 88 near the granule's: the replayed Valais records
    carry made-up absolute orbits, HyP3 writes real ones (relative = (absolute - offset) % 175 + 1)."""
    offset = {"S1A": 73, "S1B": 202}[granule[:3]]
    absolute = int(granule.split("_")[-3])
    return absolute - ((absolute - offset) % 175 + 1) + 88


def product_zip(job: dict) -> tuple[str, bytes]:
    """The product of a stand-in INSAR_GAMMA or INSAR_ISCE_MULTI_BURST job, in the HyP3 layout,
    zipped."""
    parameters = job["job_parameters"]
    suffix = job["job_id"][:4].upper()
    if job["job_type"] == "INSAR_GAMMA":
        reference, secondary = parameters["granules"]
        starts = [g.split("_")[5] for g in (reference, secondary)]
        days = (pd.Timestamp(starts[1][:8]) - pd.Timestamp(starts[0][:8])).days
        name = f"S1{reference[2]}{secondary[2]}_{starts[0]}_{starts[1]}_VVP{days:03d}_INT40_G_weF_{suffix}"
        orbits: tuple[int, int] | None = (a088_orbit(reference), a088_orbit(secondary))
    else:
        reference, secondary = ", ".join(parameters["reference"]), ", ".join(parameters["secondary"])
        dates = [g.split("_")[3][:8] for g in (parameters["reference"][0], parameters["secondary"][0])]
        name = f"S1_088-{suffix}_{dates[0]}_{dates[1]}_VV_INT20_{suffix}"
        orbits = None
    with tempfile.TemporaryDirectory() as scratch:
        folder = (
            fx.hyp3_folder(Path(scratch), name=name, granules=(reference, secondary), orbits=orbits) / name
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path in sorted(folder.iterdir()):
                archive.write(path, f"{name}/{path.name}")
    return f"{name}.zip", buffer.getvalue()


@pytest.fixture(params=["INSAR_GAMMA", "INSAR_ISCE_MULTI_BURST"])
def hyp3_run(tmp_path, request):
    records = valais_records(151, {"0726", "0807", "0813"})
    assert len(records) == 3
    (tmp_path / "response.geojson").write_text(json.dumps(geojson_of(records)))
    with HyP3StandIn(product_zip, TOKEN) as api:
        config = {
            "source": "asf",
            "aoi": fx.AOI,
            "tracks": ["A088"],
            "baselines_days": [12, 18],
            "period": {"start": "2018-07-20", "end": "2018-08-31"},
            "search": {
                "response": "response.geojson",
                "burst_response": str(FIXTURES / "valais_bursts.json"),
            },
            "interferogram": {"engine": "hyp3"},
            "hyp3": {"job_type": request.param, "api_url": api.url, "poll_s": 0.05, "timeout_s": 30},
            "download": {"retries": 1, "backoff_s": 0.05, "timeout_s": 10, "credential_hosts": [api.url]},
            "model": {"architecture": "baseline"},
        }
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
        yield tmp_path, api


@pytest.mark.slow
def test_hyp3_stand_in_run_reaches_detections_and_a_rerun_submits_nothing(hyp3_run):
    run_dir, api = hyp3_run
    env = {**os.environ, "EARTHDATA_TOKEN": TOKEN}
    dry = snakemake(run_dir, "--configfile", str(run_dir / "config.yaml"), "-n", env=env)
    assert "download" not in dry.stdout and "hyp3_product" in dry.stdout  # HyP3 fetches its own SLCs
    snakemake(run_dir, "--configfile", str(run_dir / "config.yaml"), env=env)
    assert set(pd.read_csv(run_dir / "results/pairs.csv")["pair_id"]) == PAIRS
    # one job per pair (the AOI's bursts are consecutive in one subswath), the looks closest to
    # 12.5 m: 10x2 (40 m) for GAMMA, with the wrapped phase asked for; 5x1 (20 m) for ISCE2
    assert len(api.submitted) == 2
    job_type = api.submitted[0]["job_type"]
    for job in api.submitted:
        assert job["job_type"] == job_type and job["name"].startswith("massmove_A088_")
        if job_type == "INSAR_GAMMA":
            assert job["job_parameters"]["looks"] == "10x2" and job["job_parameters"]["include_wrapped_phase"]
        else:
            assert job["job_parameters"]["looks"] == "5x1"
            assert [g.split("_")[1] for g in job["job_parameters"]["reference"]] == [
                g.split("_")[1] for g in job["job_parameters"]["secondary"]
            ]
    engine = {"INSAR_GAMMA": "HyP3 GAMMA", "INSAR_ISCE_MULTI_BURST": "HyP3 ISCE2"}[job_type]
    for pair in PAIRS:
        with rasterio.open(run_dir / f"results/interferograms/{pair}.tif") as src:
            tags = src.tags()
            phase = src.read(1)
        assert tags["engine"] == f"hyp3 ({engine})" and tags["track"] == "A088"
        assert tags["perpendicular_baseline_m"] == "61.3" and tags["coarser_than_posting"] == "yes"
        assert (phase == phase).mean() > 0.99  # the product covers the AOI
        assert (run_dir / f"results/detections/{pair}.gpkg").is_file()
        record = json.loads((run_dir / f"results/hyp3/{pair}.json").read_text())
        assert [job["submitted_by_this_run"] for job in record["jobs"]] == [True]
    # a rerun from scratch finds the jobs again: nothing is submitted, the products are the same
    shutil.rmtree(run_dir / "results")
    shutil.rmtree(run_dir / "resources")
    snakemake(run_dir, "--configfile", str(run_dir / "config.yaml"), env=env)
    assert len(api.submitted) == 2
    for pair in PAIRS:
        record = json.loads((run_dir / f"results/hyp3/{pair}.json").read_text())
        assert [job["submitted_by_this_run"] for job in record["jobs"]] == [False]
    leaks = subprocess.run(
        ["grep", "-rl", TOKEN, "results", "logs", ".snakemake", "resources"],
        cwd=run_dir,
        capture_output=True,
        text=True,
    )
    assert leaks.stdout == "", leaks.stdout


@pytest.mark.slow
@pytest.mark.parametrize("hyp3_run", ["INSAR_GAMMA"], indirect=True)
def test_hyp3_without_credentials_stops_with_one_line(hyp3_run):
    run_dir, api = hyp3_run
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARTHDATA_")}
    env["EARTHDATA_TOKEN"] = "wrong-token"
    result = snakemake(run_dir, "--configfile", str(run_dir / "config.yaml"), env=env, check=False)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("massmove: error:")]
    assert lines and "401" in lines[0], result.stderr[-3000:]
    assert api.submitted == [] and not list((run_dir / "results").glob("interferograms/*.tif"))
