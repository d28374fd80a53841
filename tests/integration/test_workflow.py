"""The workflow end to end, run as a user runs it: snakemake from another directory."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from rio_cogeo.cogeo import cog_validate
from scipy import ndimage

from massmove.config import resolve_config
from massmove.detect.vectorise import FOUR_CONNECTED
from massmove.fidelity import product_fidelity
from massmove.settings import StageSettings
from massmove.stages.model import segment_stage
from tests.runs import CONFIG_NAME, REPO, SNAKEMAKE, TINY, job_counts, snakemake

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
    "settings_digest",
}


def test_lint_is_clean():
    result = subprocess.run([*SNAKEMAKE, "--lint"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations" in result.stdout + result.stderr


def test_a_larger_scene_asks_for_memory_in_proportion(tmp_path):
    """mem_mb of the synthetic jobs follows the scene (measured peaks per km2; the default
    scene keeps the rules' own figures)."""
    import re

    config = tmp_path / "large.yaml"
    config.write_text("synthetic:\n  extent_km: [40, 40]\n")
    result = snakemake(tmp_path, "-n", "--configfile", str(config))
    asked = {}
    for block in result.stdout.split("\n\n"):
        if (rule := re.search(r"^(?:local)?rule (\w+):", block, re.M)) and (
            mem := re.search(r"mem_mb=(\d+)", block)
        ):
            asked[rule.group(1)] = int(mem.group(1))
    assert asked["simulate"] == 15970 and asked["simulate_ground"] > 4000 and asked["training_scene"] > 6000
    default = snakemake(tmp_path, "-n")
    assert "mem_mb=6000" in default.stdout and "mem_mb=15970" not in default.stdout


def test_default_dry_run_lists_every_job(tmp_path):
    result = snakemake(tmp_path, "-n", "--quiet", "rules")
    counts = job_counts(result.stdout)
    assert counts == {
        "simulate": 6,
        "simulate_ground": 1,
        "simulate_truth": 4,
        "interferogram": 4,
        "pair_table": 1,
        "training_scene": 1,
        "calibration_scene": 1,
        "train": 5,
        "calibrate": 1,
        # one set of rules for both detectors: the ensemble's 4 pairs and the baseline's 4, each
        # detector's detections merged with their support (its evaluation scores them)
        "segment": 8,
        "vectorise": 8,
        "merge_detections": 2,
        "evaluate_pair": 8,
        "evaluation": 2,
        # QGIS: a style beside each pair's phase and likelihood, the project of the run
        "raster_styles": 4,
        "qgis_project": 1,
        "provenance": 1,
        "report": 1,
        "all": 1,
        "total": 60,
    }


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
        assert set(truth["class"]) <= {"coherent", "faint", "incoherent"}
        assert truth.crs.to_epsg() == 2056
        # every coherent pattern stands out of its clutter by the configured ratio
        coherent = truth[truth["class"] == "coherent"]
        assert (coherent["contrast_to_clutter"] >= 4.0).all(), coherent["contrast_to_clutter"]
        assert (coherent["clutter_rms_rad"] > 0).all()
        # outlined where they show on the product: inside their body, at most its area
        assert (coherent["extent_share"] <= 1.0).all() and (coherent["extent_share"] > 0).all()
        faint = truth[truth["class"] == "faint"]
        assert (
            (faint["contrast_to_clutter"] >= 2.0)
            & ((faint["contrast_to_clutter"] < 4.0) | (faint["peak_phase_rad"] < 1.0))
        ).all()


@pytest.mark.slow
def test_rerun_has_nothing_to_do(tiny_run):
    result = snakemake(tiny_run, "--configfile", str(tiny_run / CONFIG_NAME), "-n")
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.slow
def test_the_workflow_reads_config_config_yaml(tmp_path):
    # a copy of the workflow whose config/config.yaml a user edited: one track, one baseline
    workflow = tmp_path / "massmove"
    for name in ("workflow", "config", "envs"):
        shutil.copytree(REPO / name, workflow / name)
    shutil.copy(REPO / "Snakefile", workflow / "Snakefile")
    config = yaml.safe_load((workflow / "config" / "config.yaml").read_text())
    config["tracks"], config["baselines_days"] = ["D066"], [18]
    (workflow / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    result = subprocess.run(
        [*SNAKEMAKE[:-1], str(workflow / "Snakefile"), "--directory", str(run_dir), "-n", "--quiet", "rules"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    assert counts["interferogram"] == 1 and counts["simulate"] == 2
    # --configfile still overrides it key by key
    (tmp_path / "two.yaml").write_text(yaml.safe_dump({"baselines_days": [12, 18]}))
    again = subprocess.run(
        [*SNAKEMAKE[:-1], str(workflow / "Snakefile"), "--directory", str(run_dir), "-n", "--quiet", "rules"]
        + ["--configfile", str(tmp_path / "two.yaml")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert job_counts(again.stdout)["interferogram"] == 2


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


@pytest.mark.slow
def test_tiny_run_trains_an_ensemble_and_detects(tiny_run):
    members = [tiny_run / f"results/models/fold{k}" for k in range(2)]
    records = [json.loads((m / "massmove.json").read_text()) for m in members]
    assert [r["fold"] for r in records] == [0, 1]
    assert records[0]["data_digest"] == records[1]["data_digest"]
    assert records[0]["channels"] == ["cos_phase", "sin_phase", "coherence"] and records[0]["patch_px"] == 64
    assert not set(map(tuple, records[0]["validation_blocks"])) & set(
        map(tuple, records[1]["validation_blocks"])
    )
    assert all(0 <= r["validation"]["iou"] <= 1 and 1 <= len(r["history"]) <= 2 for r in records)
    # the detection settings, the same in every member, calibrated on the calibration scene as the
    # ensemble is deployed: every candidate scored, the best used when it rests on enough matches
    calibration = json.loads((tiny_run / "results/models/calibration.json").read_text())
    chosen = calibration["chosen"]
    assert records[0]["detection"] == records[1]["detection"] == chosen
    rules = TINY["train"]["calibration"]
    assert len(calibration["table"]) == len(rules["thresholds"]) * len(rules["min_areas_m2"])
    assert [Path(p["product"]).parent.parent.name for p in calibration["products"]] == ["seed31361"] * 2
    assert chosen["ensemble"]["members"] == 2 and chosen["ensemble"]["device"] == "cpu"
    best = chosen["best"]
    if best["matched"] >= rules["min_matched"]:
        assert chosen["basis"] == "calibrated"
        assert (chosen["threshold"], chosen["min_area_m2"]) == (best["threshold"], best["min_area_m2"])
    else:
        fallback = resolve_config(TINY)["train"]["calibration"]["fallback"]
        assert chosen["basis"] == "fallback"
        assert [chosen[key] for key in ("threshold", "min_area_m2")] == list(fallback.values())
    for k, record in enumerate(records):
        trained = json.loads((tiny_run / f"results/models/trained/fold{k}/massmove.json").read_text())
        assert trained["weights_sha256"] == record["weights_sha256"] and "detection" not in trained
        assert len(trained["out_of_fold"]["tiles"]) > 0
    # the state a stopped training would resume from is gone once its member is written
    assert not list((tiny_run / "results/models/trained").glob(".*resume*"))
    assert all((m / "config.json").is_file() and (m / "model.safetensors").is_file() for m in members)
    for pair_id in ("A088_20180801_20180813", "D066_20180801_20180813"):
        likelihood = tiny_run / f"results/likelihood/{pair_id}.tif"
        valid, errors, _ = cog_validate(str(likelihood))
        assert valid, errors
        with (
            rasterio.open(likelihood) as src,
            rasterio.open(tiny_run / f"results/interferograms/{pair_id}.tif") as ifg,
        ):
            assert src.descriptions == ("likelihood_mean", "likelihood_spread")
            assert src.transform == ifg.transform and src.crs == ifg.crs
            mean, spread, phase = src.read(1), src.read(2), ifg.read(1)
            tags = src.tags()
        assert tags["checkpoint_digests"].split(",") == [r["weights_sha256"] for r in records]
        assert tags["pair_id"] == pair_id
        # the raster carries the members' calibration, not the config's detection settings
        assert float(tags["calibrated_threshold"]) == chosen["threshold"]
        assert float(tags["calibrated_min_area_m2"]) == chosen["min_area_m2"]
        assert tags["calibration_basis"] == chosen["basis"] and "detection_threshold" not in tags
        assert tags["precision"] == chosen["ensemble"]["precision"]
        assert np.array_equal(np.isnan(mean), np.isnan(phase))
        assert np.nanmin(mean) >= 0 and np.nanmax(mean) <= 1 and np.nanmin(spread) >= 0
        detections = gpd.read_file(tiny_run / f"results/detections/{pair_id}.gpkg")
        assert {"pair_id", "track", "baseline_days", "area_m2", "likelihood_mean", "likelihood_max",
                "spread_mean"} <= set(detections.columns)  # fmt: skip
        threshold, min_area = (records[0]["detection"][k] for k in ("threshold", "min_area_m2"))
        assert (detections["likelihood_max"] >= threshold).all() and (detections["area_m2"] >= min_area).all()
        np.testing.assert_allclose(detections["area_m2"].to_numpy(float), detections.area.to_numpy(float))
        # every region of the likelihood above the threshold and large enough is a detection
        regions, count = ndimage.label(np.nan_to_num(mean) >= threshold, structure=FOUR_CONNECTED)
        sizes = ndimage.sum(np.ones_like(mean), regions, np.arange(1, count + 1)) * 12.5**2
        assert len(detections) == int((sizes >= min_area).sum())
    merged = gpd.read_file(tiny_run / "results/detections.gpkg", layer="detections")
    assert {"n_pairs", "n_geometries", "pairs", "tracks", "area_m2"} <= set(merged.columns)
    assert merged.crs.to_epsg() == 2056
    # support across pairs: the detecting pairs support their area and could see it
    assert {"could_see", "n_could_see", "supported_by", "support", "confirmed"} <= set(merged.columns)
    for row in merged.itertuples():
        detected = set(row.pairs.split(";"))
        assert detected <= set(row.supported_by.split(";")) <= set(row.could_see.split(";"))
        assert row.confirmed == (row.support >= 2)
    per_pair = gpd.read_file(tiny_run / "results/detections.gpkg", layer="pair_detections")
    assert len(per_pair) == sum(
        len(gpd.read_file(tiny_run / f"results/detections/{pair_id}.gpkg"))
        for pair_id in ("A088_20180801_20180813", "D066_20180801_20180813")
    )
    assert set(per_pair["area_id"]) == set(merged["area_id"])


@pytest.mark.slow
def test_operators_ensemble_skips_training(tiny_run, tmp_path):
    members = [str(tiny_run / f"results/models/fold{k}") for k in range(2)]
    config = {**TINY, "model": {"ensemble_size": 2, "checkpoints": members}}
    (tmp_path / "ops.yaml").write_text(yaml.safe_dump(config))
    counts = job_counts(snakemake(tmp_path, "--configfile", str(tmp_path / "ops.yaml"), "-n").stdout)
    # 2 pairs segmented by the operators' members and by the baseline beside them
    assert "train" not in counts and "training_scene" not in counts and counts["segment"] == 4


@pytest.mark.slow
def test_member_expecting_other_channels_stops_segmentation(tiny_run, tmp_path):
    run_dir = tmp_path / "copy"
    shutil.copytree(tiny_run, run_dir, symlinks=True)
    pair_id = "A088_20180801_20180813"
    (run_dir / f"results/likelihood/{pair_id}.tif").unlink()
    metadata = run_dir / "results/models/fold1/massmove.json"
    record = json.loads(metadata.read_text())
    metadata.write_text(json.dumps({**record, "channels": ["cos_phase", "sin_phase"]}))
    target = f"results/likelihood/{pair_id}.tif"
    result = snakemake(
        run_dir, target, "--configfile", str(run_dir / CONFIG_NAME), "--allowed-rules", "segment", check=False
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("massmove: error:")]
    assert len(lines) == 1 and "fold1" in lines[0] and "expects channels" in lines[0], result.stderr[-3000:]
    assert not (run_dir / f"results/likelihood/{pair_id}.tif").exists()


@pytest.mark.slow
def test_tiny_run_evaluation_equals_a_recomputation_from_its_geopackages(tiny_run):
    """results/evaluation.json against the pair's truth (class coherent), recomputed here from
    the run's GeoPackages and likelihood with scikit-learn and shapely areas."""
    from rasterio.features import rasterize
    from sklearn.metrics import jaccard_score, recall_score

    evaluation = json.loads((tiny_run / "results/evaluation.json").read_text())
    assert evaluation["iou_threshold"] == 0.4 and sorted(evaluation["pairs"]) == [
        "A088_20180801_20180813",
        "D066_20180801_20180813",
    ]
    truth_all, detected_all, found_all = [], [], []
    n_detections = n_references = matched = 0
    for pair_id, record in evaluation["pairs"].items():
        assert json.loads((tiny_run / f"results/evaluation/{pair_id}.json").read_text()) == record
        with rasterio.open(tiny_run / f"results/likelihood/{pair_id}.tif") as src:
            mean, transform = src.read(1), src.transform
        truth = gpd.read_file(tiny_run / f"results/truth/{pair_id}.gpkg")
        truth = truth[truth["class"] == "coherent"]
        detections = gpd.read_file(tiny_run / f"results/detections/{pair_id}.gpkg")
        valid = np.isfinite(mean)

        def burn(geometries, shape=mean.shape, transform=transform):
            shapes = [(g, 1) for g in geometries]
            return (
                rasterize(shapes, out_shape=shape, transform=transform).astype(bool)
                if shapes
                else np.zeros(shape, bool)
            )

        truth_all.append(burn(truth.geometry)[valid])
        detected_all.append(burn(detections.geometry)[valid])
        found_all.append(mean[valid] >= record["likelihood_threshold"])
        ious = sorted(
            ((d.intersection(r).area / d.union(r).area, i, j)
             for i, d in enumerate(detections.geometry) for j, r in enumerate(truth.geometry)),
            reverse=True,
        )  # fmt: skip
        used_d, used_r = set(), set()
        for iou, i, j in ious:
            if iou >= 0.4 and i not in used_d and j not in used_r:
                used_d.add(i)
                used_r.add(j)
        n_detections, n_references, matched = (
            n_detections + len(detections),
            n_references + len(truth),
            matched + len(used_d),
        )
    truth_px, detected_px, found_px = (np.concatenate(a) for a in (truth_all, detected_all, found_all))
    assert n_references > 0 and evaluation["counts"]["references"] == n_references
    assert evaluation["counts"]["detections"] == n_detections and evaluation["counts"]["matched"] == matched
    assert truth_px.any()  # a pixel IoU to compare (an empty union is undefined, null)
    assert evaluation["pixel_iou"] == pytest.approx(jaccard_score(truth_px, detected_px))
    assert evaluation["likelihood_pixel_recall"] == pytest.approx(recall_score(truth_px, found_px))
    expected_f1 = 2 * matched / (n_detections + n_references)
    assert evaluation["object_f1"] == pytest.approx(expected_f1)


@pytest.mark.slow
def test_the_calibration_scores_the_likelihood_a_run_deploys(tiny_run, tmp_path):
    """The calibration products' likelihood is what the segment stage writes for them with the
    final members: the same ensemble, tiling and blending."""
    calibration = json.loads((tiny_run / "results/models/calibration.json").read_text())
    config = resolve_config(TINY)
    members = [tiny_run / f"results/models/fold{k}" for k in range(2)]
    for product in calibration["products"]:
        out = tmp_path / f"{Path(product['product']).stem}.tif"
        segment_stage(
            StageSettings.from_config("segment:ensemble", config),
            tiny_run / product["product"],
            members,
            out,
            detector="ensemble",
        )
        with rasterio.open(out) as src:
            assert float(np.nanmax(src.read(1))) == product["likelihood_max"]
