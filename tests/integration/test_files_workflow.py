"""source: files end to end: fixtures of each layout reach detections; bad inputs stop with one
line naming the file and leave nothing downstream."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import rasterio
import shapely
import yaml
from rio_cogeo.cogeo import cog_validate

from tests.files import fixtures as fx
from tests.runs import snakemake

PAIR = "A088_20180801_20180813"
BUILDERS = {
    "licsar": lambda root: fx.licsar_folder(root),
    "hyp3": lambda root: fx.hyp3_folder(root),
    "snap": lambda root: fx.snap_export(root / "ifg_subset.tif").parent,
}
ENGINES = {"licsar": "LiCSAR (GAMMA)", "hyp3": "HyP3 GAMMA", "snap": "SNAP (GeoTIFF export)"}


def reference_polygons(path):
    """A reference polygon over the fixtures' bowl (so that the run evaluates and reports)."""
    bowl = shapely.Point(2_606_500.0, 1_119_500.0).buffer(500.0)
    gpd.GeoDataFrame({"class": ["coherent"]}, geometry=[bowl], crs="EPSG:2056").to_file(path)
    return str(path)


def run_files(run_dir, files, **overrides):
    config = {"source": "files", "aoi": fx.AOI, "files": files, "model": {"architecture": "baseline"}}
    config.update(overrides)
    (run_dir / "files.yaml").write_text(yaml.safe_dump(config))
    return snakemake(run_dir, "--configfile", str(run_dir / "files.yaml"), check=False)


@pytest.mark.slow
@pytest.mark.parametrize("layout", sorted(BUILDERS))
def test_each_layout_reaches_detections_and_the_report(tmp_path, layout):
    folder = BUILDERS[layout](tmp_path / "inputs")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    reference = reference_polygons(tmp_path / "reference.gpkg")
    result = run_files(
        run_dir, {"folder": str(folder), "layout": layout}, evaluation={"reference": reference}
    )
    assert result.returncode == 0, result.stderr[-3000:]
    product = run_dir / f"results/interferograms/{PAIR}.tif"
    assert cog_validate(str(product))[0]
    with rasterio.open(product) as src:
        tags = src.tags()
        assert src.crs.to_epsg() == 2056 and src.res == (12.5, 12.5)
        assert src.descriptions == ("wrapped_phase", "coherence")
    assert tags["engine"] == ENGINES[layout] and tags["layout"] == layout
    assert tags["track"] == "A088" and tags["baseline_days"] == "12"
    with rasterio.open(run_dir / f"results/likelihood/{PAIR}.tif") as src:
        assert src.tags()["coarser_than_posting"] == tags["coarser_than_posting"] == "yes"
    detections = gpd.read_file(run_dir / f"results/detections/{PAIR}.gpkg")
    assert set(detections["pair_id"]) <= {PAIR}
    # support across pairs works on interferograms made elsewhere: one pair supports at most once
    supported = gpd.read_file(run_dir / "results/detections.gpkg", layer="pair_detections")
    assert len(supported) == len(detections) and {"could_see", "support", "confirmed"} <= set(
        supported.columns
    )
    assert (supported["support"] == 1).all() and not supported["confirmed"].any()
    assert json.loads((run_dir / "results/evaluation.json").read_text())["support"]["min_support"] == 2
    table = pd.read_csv(run_dir / "results/pairs.csv")
    assert list(table["pair_id"]) == [PAIR] and table["layout"].iloc[0] == layout
    # the provenance record holds the digest of every input file of the folder
    record = json.loads((run_dir / "results/provenance.json").read_text())
    digests = record["named_inputs"][str(folder)]
    assert digests and all(len(d) == 64 for d in digests.values())
    report = (run_dir / "results/report.html").read_text()
    assert f"Input posting {tags['native_posting_m']} m is {tags['posting_ratio']} times coarser" in report
    # nothing is left to do on a rerun
    again = snakemake(run_dir, "--configfile", str(run_dir / "files.yaml"), "-n")
    assert "Nothing to be done" in again.stdout + again.stderr


@pytest.mark.slow
def test_an_operators_ensemble_segments_a_listed_interferogram(tiny_run, tmp_path):
    root = fx.hyp3_folder(tmp_path / "inputs") / fx.HYP3_NAME
    members = [str(tiny_run / f"results/models/fold{k}") for k in range(2)]
    entry = {
        "phase": str(root / f"{fx.HYP3_NAME}_wrapped_phase.tif"),
        "reference": "2018-08-01",
        "secondary": "2018-08-13",
        "track": "A088",
        "processor": "GAMMA",
    }
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    result = run_files(
        run_dir,
        {"interferograms": [entry]},
        model={"architecture": "unetplusplus", "ensemble_size": 2, "checkpoints": members},
        train={"patch_px": 64},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with rasterio.open(run_dir / f"results/interferograms/{PAIR}.tif") as src:
        tags = src.tags()
    assert tags["engine"] == "files (GAMMA processor)"
    assert tags["coherence_source"].startswith("estimated from the phase")
    assert tags["heading_deg"] == "unknown" and tags["reference_scene"] == "unknown"
    # the members learnt from 12.5 m products; the listed input is 40 m: flagged against both
    assert (
        json.loads((tiny_run / "results/models/fold0/massmove.json").read_text())["training_posting_m"]
        == 12.5
    )
    with rasterio.open(run_dir / f"results/likelihood/{PAIR}.tif") as src:
        likelihood_tags = src.tags()
        assert likelihood_tags["detector"] == "ensemble" and src.count == 2
    assert likelihood_tags["coarser_than_training"] == "yes"
    assert float(likelihood_tags["training_posting_ratio"]) == pytest.approx(3.2)
    log = (run_dir / f"logs/segment/results/{PAIR}.log").read_text()
    assert "is 3.2 times coarser than the 12.5 m the detector was trained at" in log
    assert (run_dir / f"results/detections/{PAIR}.gpkg").is_file()


@pytest.mark.slow
def test_a_phase_in_degrees_stops_with_one_line_and_writes_nothing(tmp_path):
    root = fx.hyp3_folder(tmp_path / "inputs") / fx.HYP3_NAME
    with rasterio.open(root / f"{fx.HYP3_NAME}_wrapped_phase.tif") as src:
        degrees = src.read(1) * 180 / 3.141592653589793
        bad = fx.write_tif(tmp_path / "phase_deg.tif", [degrees], src.transform, "EPSG:32632")
    entry = {"phase": str(bad), "reference": "2018-08-01", "secondary": "2018-08-13", "track": "A088"}
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    result = run_files(run_dir, {"interferograms": [entry]})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("massmove: error:")]
    assert len(lines) == 1 and str(bad) in lines[0] and "(degrees?)" in lines[0], result.stderr[-3000:]
    assert not list((run_dir / "results").rglob("*.tif"))
    assert not list((run_dir / "results").rglob("*.gpkg"))


def test_two_entries_of_one_pair_stop_before_any_job(tmp_path):
    root = fx.hyp3_folder(tmp_path / "inputs") / fx.HYP3_NAME
    phase = str(root / f"{fx.HYP3_NAME}_wrapped_phase.tif")
    entry = {"phase": phase, "reference": "2018-08-01", "secondary": "2018-08-13", "track": "A088"}
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    result = run_files(run_dir, {"interferograms": [entry], "folder": str(root.parent), "layout": "hyp3"})
    assert result.returncode != 0
    assert f"massmove: error: {phase}: pair {PAIR} is given twice (also {phase})" in result.stderr
    assert not (run_dir / "results").exists()


def test_the_example_configs_plan_their_jobs(tmp_path):
    """config/examples/{licsar,files,hyp3}.yaml with inputs where their comments say (the
    fixtures of each layout; a replayed search for HyP3): each dry run plans its jobs."""
    from tests.runs import REPO, job_counts
    from tests.unit.test_asf_search import valais_replay

    examples = REPO / "config" / "examples"
    licsar = tmp_path / "licsar_run"
    fx.licsar_folder(licsar / "licsar")
    counts = job_counts(snakemake(licsar, "--configfile", str(examples / "licsar.yaml"), "-n").stdout)
    assert counts["import_interferogram"] == counts["segment"] == 1

    listed = tmp_path / "files_run"
    root = fx.hyp3_folder(tmp_path / "hyp3") / fx.HYP3_NAME
    for pair, with_coherence in (("A088_20180801_20180813", True), ("D066_20180803_20180815", False)):
        (listed / "ifgs").mkdir(parents=True, exist_ok=True)
        (listed / "ifgs" / f"{pair}_phase.tif").write_bytes(
            (root / f"{fx.HYP3_NAME}_wrapped_phase.tif").read_bytes()
        )
        if with_coherence:
            (listed / "ifgs" / f"{pair}_coh.tif").write_bytes(
                (root / f"{fx.HYP3_NAME}_corr.tif").read_bytes()
            )
    result = snakemake(listed, "--configfile", str(examples / "files.yaml"), "-n")
    assert job_counts(result.stdout)["import_interferogram"] == 2

    hyp3 = tmp_path / "hyp3_run"
    hyp3.mkdir()
    replay = valais_replay(hyp3 / "replay.yaml")
    counts = job_counts(
        snakemake(hyp3, "--configfile", str(examples / "hyp3.yaml"), str(replay), "-n").stdout
    )
    assert counts["hyp3_product"] == counts["interferogram"] == counts["segment"] > 0
    assert "download" not in counts and "orbit" not in counts


@pytest.mark.slow
def test_an_aoi_file_edited_in_place_reruns_the_import_and_is_in_provenance(tmp_path):
    folder = fx.licsar_folder(tmp_path / "inputs")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    aoi_file = run_dir / "aoi.geojson"
    west, south, east, north = fx.AOI
    gpd.GeoDataFrame(geometry=[shapely.box(west, south, east, north)], crs="EPSG:4326").to_file(aoi_file)
    files = {"folder": str(folder), "layout": "licsar"}
    result = run_files(
        run_dir, files, aoi="aoi.geojson", evaluation={"reference": reference_polygons(tmp_path / "r.gpkg")}
    )
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((run_dir / "results/provenance.json").read_text())
    first_sha = record["named_inputs"]["aoi.geojson"]["."]
    with rasterio.open(run_dir / f"results/interferograms/{PAIR}.tif") as src:
        first_bounds = src.bounds
    # the same path, a smaller area: the product made from the old file is stale
    shrunk = shapely.box(west, south, (west + east) / 2, (south + north) / 2)
    gpd.GeoDataFrame(geometry=[shrunk], crs="EPSG:4326").to_file(aoi_file)
    dry = snakemake(run_dir, "--configfile", str(run_dir / "files.yaml"), "-n")
    assert "Nothing to be done" not in dry.stdout + dry.stderr
    assert "import_interferogram" in dry.stdout
    again = snakemake(run_dir, "--configfile", str(run_dir / "files.yaml"), check=False)
    assert again.returncode == 0, again.stderr[-3000:]
    with rasterio.open(run_dir / f"results/interferograms/{PAIR}.tif") as src:
        assert src.bounds != first_bounds and src.bounds.right < first_bounds.right
    record = json.loads((run_dir / "results/provenance.json").read_text())
    assert record["named_inputs"]["aoi.geojson"]["."] not in ("", first_sha)
