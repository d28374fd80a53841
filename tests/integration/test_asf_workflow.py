"""Real-acquisition runs, offline: a replayed search, downloads from a loopback server."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from massmove.asf.records import geojson_of
from tests.loopback import FileServer
from tests.runs import job_counts
from tests.unit.test_asf_search import FIXTURES, expected_pair_ids, valais_records, valais_replay

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]


def run(run_dir: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SNAKEMAKE, "--directory", str(run_dir), *args],
        cwd=run_dir,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


def test_valais_dry_run_with_a_replayed_response(tmp_path):
    replay = tmp_path / "replay.yaml"
    replay.write_text(yaml.safe_dump({"search": {"response": str(FIXTURES / "valais_umm.json")}}))
    result = run(
        tmp_path, "--configfile", str(REPO / "config/examples/valais.yaml"), str(replay), "--cores", "2", "-n"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout + result.stderr
    counts = dict(
        line.split()[:2]
        for line in out.splitlines()
        if line.split()[:1] in (["search"], ["download"], ["orbit"], ["dem"])
    )
    assert counts == {"search": "1", "download": "30", "orbit": "30", "dem": "1"}
    # every scene of every expected pair is downloaded; run the search itself (offline) for the pairs
    result = run(
        tmp_path,
        "--configfile",
        str(REPO / "config/examples/valais.yaml"),
        str(replay),
        "--cores",
        "1",
        "--until",
        "search",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    pairs = pd.read_csv(tmp_path / "results/pairs.csv")
    assert set(pairs["pair_id"]) == expected_pair_ids()
    for scene in {
        s for col in ("reference_scene", "secondary_scene") for v in pairs[col] for s in v.split(";")
    }:
        assert f"resources/slc/{scene}.zip" in out
    report = json.loads((tmp_path / "results/search_report.json").read_text())
    assert any(r["reason"] == "not an SLC product (GRD_HD)" for r in report["rejected"])


@pytest.fixture
def loopback_run(tmp_path):
    """A small AOI seen by one slice of A088: three passes, a 12- and an 18-day pair."""
    records = valais_records(146, {"0726", "0807", "0813"})
    assert len(records) == 3
    server = FileServer(token="Tok3n-never-to-be-logged")
    rewritten = []
    for record in records:
        body = hashlib.sha256(record.scene_id.encode()).digest() * 20000
        server.files[f"{record.scene_id}.zip"] = body
        rewritten.append(
            dataclasses.replace(
                record,
                url=f"{{server}}/auth/{record.scene_id}.zip",
                size_bytes=len(body),
                md5=hashlib.md5(body, usedforsecurity=False).hexdigest(),
            )
        )
    orbits = tmp_path / "orbit_files"
    orbits.mkdir()
    for record in records:
        day = record.start_utc
        start, stop = day.strftime("%Y%m%dT000000"), day.strftime("%Y%m%dT235959")
        (
            orbits / f"{record.scene_id[:3]}_OPER_AUX_POEORB_OPOD_20180901T000000_V{start}_{stop}.EOF"
        ).write_text(f"orbit of {record.scene_id}")
    from massmove.asf.aoi import aoi_geometry
    from massmove.asf.dem import glo30_tiles
    from tests.unit.test_orbits_dem import tile_bytes

    aoi = [7.0, 45.5, 7.3, 45.7]
    for name in glo30_tiles(aoi_geometry(aoi)):
        server.files[name] = tile_bytes(name, tmp_path)
    with server:
        geojson = json.dumps(geojson_of(rewritten)).replace("{server}", server.url)
        (tmp_path / "response.geojson").write_text(geojson)
        config = {
            "source": "asf",
            # acquisition only: no engine makes interferograms here
            "interferogram": {"engine": "none"},
            "aoi": aoi,
            "tracks": ["A088"],
            "baselines_days": [12, 18],
            "period": {"start": "2018-07-20", "end": "2018-08-31"},
            "posting_m": 50.0,
            "search": {"response": "response.geojson"},
            # the loopback server is trusted with the token by name (plain http, its port only)
            "download": {"retries": 2, "backoff_s": 0.05, "timeout_s": 10, "credential_hosts": [server.url]},
            "orbits": {"type": "precise", "path": "orbit_files"},
            "dem": {"path": None, "tile_url": server.url + "/ok/{tile}"},
        }
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
        yield tmp_path, server, records


def test_downloads_orbits_and_dem_through_the_workflow(loopback_run):
    run_dir, server, records = loopback_run
    env = {**os.environ, "EARTHDATA_TOKEN": server.token}
    result = run(
        run_dir,
        "--configfile",
        str(run_dir / "config.yaml"),
        "--cores",
        "2",
        "--resources",
        "asf_connections=2",
        env=env,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    for record in records:
        assert (run_dir / f"resources/slc/{record.scene_id}.zip").read_bytes() == server.files[
            f"{record.scene_id}.zip"
        ]
        orbit = json.loads((run_dir / f"resources/orbits/{record.scene_id}.json").read_text())
        assert orbit["orbit_type"] == "precise" and not orbit["fallback"]
    assert (run_dir / "resources/dem/aoi_dem.tif").is_file()
    assert set(pd.read_csv(run_dir / "results/pairs.csv")["pair_id"]) == {
        "A088_20180726_20180807",
        "A088_20180726_20180813",
    }
    # the token reached the server and nowhere else
    assert all(
        headers.get("Authorization") == f"Bearer {server.token}"
        for _, path, headers in server.requests
        if path.startswith("/auth/")
    )
    leaks = subprocess.run(
        ["grep", "-rl", server.token, "results", "logs", ".snakemake", "resources"],
        cwd=run_dir,
        capture_output=True,
        text=True,
    )
    assert leaks.stdout == "", leaks.stdout


def test_missing_credentials_stop_with_instructions(loopback_run):
    run_dir, server, records = loopback_run
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARTHDATA_")}
    env["NETRC"] = str(run_dir / "no-netrc")  # requests must not find a ~/.netrc of the machine
    result = run(run_dir, "--configfile", str(run_dir / "config.yaml"), "--cores", "1", env=env)
    assert result.returncode != 0, result.stdout[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("massmove: error:")]
    assert lines and "HTTP 401" in lines[0] and "EARTHDATA_TOKEN" in lines[0]
    assert not list((run_dir / "resources/slc").glob("*.zip"))


def test_live_search_checkpoint_expands_the_downloads(tmp_path):
    """After a search has run, the live (checkpoint) path reads its pair table for the downloads."""
    replay = tmp_path / "replay.yaml"
    replay.write_text(yaml.safe_dump({"search": {"response": str(FIXTURES / "valais_umm.json")}}))
    valais = str(REPO / "config/examples/valais.yaml")
    assert (
        run(tmp_path, "--configfile", valais, str(replay), "--cores", "1", "--until", "search").returncode
        == 0
    )
    # now without search.response: no query (the checkpoint's outputs exist), 30 scenes to fetch
    result = run(tmp_path, "--configfile", valais, "--cores", "2", "-n", "--rerun-triggers", "mtime")
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout + result.stderr
    counts = dict(
        line.split()[:2] for line in out.splitlines() if line.split()[:1] in (["download"], ["orbit"])
    )
    assert counts == {"download": "30", "orbit": "30"}


@pytest.mark.parametrize("replayed", [True, False], ids=["replayed-search", "live-search-checkpoint"])
def test_real_pairs_are_segmented_and_evaluated_when_there_is_a_detector(tmp_path, replayed):
    """With a detector (here the baseline) and a reference inventory, a real-data run segments,
    vectorises and evaluates every pair of the search and writes the report; the replayed
    search knows the pairs when the workflow is parsed, the live one after its checkpoint."""
    replay = tmp_path / "replay.yaml"
    replay.write_text(yaml.safe_dump({"search": {"response": str(FIXTURES / "valais_umm.json")}}))
    valais = str(REPO / "config/examples/valais.yaml")
    reference = tmp_path / "inventory.geojson"
    reference.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[7.5, 46.2], [7.51, 46.2], [7.51, 46.21], [7.5, 46.2]]],
                        },
                    }
                ],
            }
        )
    )
    detector = tmp_path / "detector.yaml"
    detector.write_text(
        yaml.safe_dump({"model": {"architecture": "baseline"}, "evaluation": {"reference": str(reference)}})
    )
    assert (
        run(tmp_path, "--configfile", valais, str(replay), "--cores", "1", "--until", "search").returncode
        == 0
    )
    n_pairs = len(pd.read_csv(tmp_path / "results/pairs.csv"))
    configs = [valais, str(replay), str(detector)] if replayed else [valais, str(detector)]
    result = run(tmp_path, "--configfile", *configs, "--cores", "2", "-n", "--rerun-triggers", "mtime")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    expected = {"segment": n_pairs, "vectorise": n_pairs, "evaluate_pair": n_pairs, "interferogram": n_pairs}
    assert {name: counts.get(name) for name in expected} == expected
    assert counts.get("merge_detections") == counts.get("evaluation") == counts.get("report") == 1
    # the operators' ensemble alone: no training, and no baseline beside it (segment jobs = pairs)
    assert "train" not in counts
    # without a detector the same run stops at the interferograms
    plain = run(tmp_path, "--configfile", *configs[:-1], "--cores", "2", "-n", "--rerun-triggers", "mtime")
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert "segment" not in job_counts(plain.stdout)


def test_valais_burst_dry_run_lists_burst_downloads_and_their_bytes(tmp_path):
    """download.granularity burst: the dry run lists one burst download and one SAFE assembly
    per scene instead of the scene downloads, and says how many bytes that is; the search
    report gives both totals."""
    replay = valais_replay(tmp_path / "replay.yaml", download={"granularity": "burst"})
    valais = str(REPO / "config/examples/valais.yaml")
    result = run(tmp_path, "--configfile", valais, str(replay), "--cores", "2", "-n")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    assert counts["download_bursts"] == counts["assemble_safe"] == counts["orbit"] == 30
    assert "download" not in counts
    dry_run_note = result.stderr
    result = run(tmp_path, "--configfile", valais, str(replay), "--cores", "1", "--until", "search")
    assert result.returncode == 0, result.stderr[-3000:]
    downloads = json.loads((tmp_path / "results/search_report.json").read_text())["downloads"]
    bursts = pd.read_csv(tmp_path / "results/search/bursts.csv")
    scenes = pd.read_csv(tmp_path / "results/scenes.csv").set_index("scene_id")
    assert downloads["burst_bytes"] == bursts["size_bytes"].sum()
    assert downloads["scenes"] == bursts["scene_id"].nunique() == 30
    assert downloads["scene_bytes"] == scenes.loc[sorted(set(bursts["scene_id"])), "size_bytes"].sum()
    # bursts over the whole canton still save more than a third of the bytes
    assert downloads["burst_bytes"] < 0.6 * downloads["scene_bytes"]
    assert (
        f"massmove: {len(bursts)} bursts to download, {downloads['burst_bytes'] / 1e9:.1f} GB, instead of "
        f"30 whole scenes, {downloads['scene_bytes'] / 1e9:.1f} GB"
    ) in dry_run_note
