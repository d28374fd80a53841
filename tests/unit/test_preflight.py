"""Bad areas of interest stop the run at parse time with one line, the same for check-config
and the workflow (one validation path)."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import pytest
import shapely

from massmove.errors import MassmoveError
from massmove.preflight import check_run_config
from tests.runs import snakemake


def write_aoi(folder, kind):
    """An AOI file of one bad kind; returns its path."""
    path = folder / f"aoi_{kind}.geojson"
    if kind == "point":
        gpd.GeoDataFrame(geometry=[shapely.Point(7.5, 46.2)], crs="EPSG:4326").to_file(path)
    elif kind == "bowtie":
        bowtie = shapely.Polygon([(7, 46), (8, 47), (8, 46), (7, 47)])
        gpd.GeoDataFrame(geometry=[bowtie], crs="EPSG:4326").to_file(path)
    elif kind == "garbage":
        path.write_text("{not json")
    elif kind == "empty":
        path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    elif kind == "no_crs":
        path = folder / "aoi_no_crs.shp"
        with pytest.warns(UserWarning):
            gpd.GeoDataFrame(geometry=[shapely.box(7, 46, 8, 47)]).to_file(path)
    return path


CASES = {
    "missing": "config key 'aoi': file not found: {path}",
    "point": "config key 'aoi': {path} holds Point, not polygons",
    "bowtie": "config key 'aoi': {path} is not a valid polygon (Self-intersection[7.5 46.5])",
    "garbage": "{path}: cannot read AOI polygons (",
    "empty": "config key 'aoi': {path} holds nothing, not polygons",
    "no_crs": "{path}: AOI polygons without a CRS (assign one",
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_bad_aoi_file_is_one_line_naming_it(tmp_path, kind):
    path = tmp_path / "absent.geojson" if kind == "missing" else write_aoi(tmp_path, kind)
    with pytest.raises(MassmoveError) as refused:
        check_run_config({"source": "files", "aoi": str(path), "files": {"folder": str(tmp_path)}})
    message = str(refused.value)
    assert message.startswith(CASES[kind].format(path=path)) and "\n" not in message


def test_check_config_and_the_workflow_refuse_the_same_aoi_before_any_job(tmp_path):
    path = write_aoi(tmp_path, "bowtie")
    config = tmp_path / "bad.yaml"
    config.write_text(f"source: files\naoi: {path}\nfiles:\n  folder: {tmp_path}\n")
    expected = f"massmove: error: {CASES['bowtie'].format(path=path)}"
    checked = subprocess.run(
        [sys.executable, "-m", "massmove.cli", "check-config", str(config)], capture_output=True, text=True
    )
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    dry = snakemake(run_dir, "--configfile", str(config), "-n", check=False)
    assert checked.returncode == 1 and checked.stderr.strip() == expected
    assert dry.returncode == 1 and expected in dry.stderr and "Traceback" not in dry.stderr
    assert not (run_dir / "results").exists()


@pytest.mark.parametrize(
    ("override", "start"),
    [
        (
            {"synthetic": {"extent_km": [100, 100]}},
            "config keys 'synthetic.extent_km' and 'synthetic.terrain",
        ),
        ({"posting_m": 0.01}, "config key 'posting_m' (1e+12 product pixels): at least 48000.0 GB of arrays"),
    ],
)
def test_a_scene_that_cannot_fit_this_machine_is_refused_with_the_numbers(override, start, monkeypatch):
    monkeypatch.setattr("massmove.io.memory.machine_memory_bytes", lambda: 24 * 10**9)
    with pytest.raises(MassmoveError) as refused:
        check_run_config(override)
    message = str(refused.value)
    assert message.startswith(start) and "more than this machine's 24.0 GB" in message and "\n" not in message


@pytest.mark.parametrize("entry", ["host:abc", "ftp://mirror.example.org", "https://mirror.example.org/path"])
def test_a_malformed_trusted_host_is_refused_at_parse_time(entry):
    with pytest.raises(MassmoveError) as refused:
        check_run_config({"download": {"credential_hosts": [entry]}})
    assert str(refused.value).startswith(f"config key 'download.credential_hosts': {entry!r} is not host")
