"""Agreement study: pairwise IoU of annotation sets against hand-computed values, the CSV and
heatmap of the stage, and the rule in the workflow's DAG."""

from __future__ import annotations

import csv

import geopandas as gpd
import pytest
import shapely
import yaml

from massmove.config import resolve_config
from massmove.errors import InputError
from massmove.evaluate.agreement import area_iou, pairwise_agreement, read_annotations
from massmove.settings import StageSettings
from massmove.stages.agreement import agreement_stage
from tests.runs import snakemake

X0, Y0 = 2_600_000.0, 1_120_000.0


def box(x0: float, x1: float, y0: float = 0.0, y1: float = 10.0) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def write(path, geometries, classes=None, crs="EPSG:2056"):
    frame = gpd.GeoDataFrame(
        {"class": classes} if classes else {}, geometry=geometries, crs="EPSG:2056"
    ).to_crs(crs)
    frame.to_file(path)
    return path


@pytest.fixture
def sets(tmp_path):
    # A: coherent [0, 10], incoherent [20, 30]; B: coherent [5, 15], incoherent [20, 30];
    # C: a model run without classes, one polygon [0, 10], in WGS84
    return {
        "expert_a": write(tmp_path / "a.gpkg", [box(0, 10), box(20, 30)], ["coherent", "incoherent"]),
        "expert_b": write(tmp_path / "b.geojson", [box(5, 15), box(20, 30)], ["coherent", "incoherent"]),
        "run": write(tmp_path / "c.gpkg", [box(0, 10)], crs="EPSG:4326"),
    }


def test_pairwise_iou_equals_hand_computed_values(sets):
    read = {
        name: read_annotations(path, crs="EPSG:2056", class_column="class", default_class="coherent")
        for name, path in sets.items()
    }
    rows = pairwise_agreement(read, ["coherent", "incoherent"])
    iou = {(r["annotator_a"], r["annotator_b"], r["scope"]): r["iou"] for r in rows}
    assert iou["expert_a", "expert_b", "coherent"] == pytest.approx(50 / 150)
    assert iou["expert_a", "expert_b", "incoherent"] == pytest.approx(1.0)
    assert iou["expert_a", "expert_b", "classes_apart"] == pytest.approx((1 / 3 + 1) / 2)
    assert iou["expert_a", "expert_b", "merged"] == pytest.approx(150 / 250)
    # the run (default class coherent; reprojected from WGS84: the round trip of 10 m boxes
    # through degrees moves vertices by millimetres)
    assert iou["expert_a", "run", "coherent"] == pytest.approx(1.0, abs=1e-3)
    assert iou["expert_a", "run", "incoherent"] == 0.0
    assert iou["expert_a", "run", "merged"] == pytest.approx(0.5, abs=1e-3)
    assert iou["run", "run", "incoherent"] is None  # nothing to agree on
    assert iou["run", "run", "classes_apart"] == 1.0
    assert iou["expert_b", "expert_a", "merged"] == iou["expert_a", "expert_b", "merged"]
    assert area_iou(None, None) is None


def test_agreement_stage_writes_the_table_means_and_heatmap(sets, tmp_path):
    full = resolve_config({"agreement": {"annotations": {k: str(v) for k, v in sets.items()}}})
    config = StageSettings.from_config("agreement", full)
    table, heatmap = tmp_path / "agreement.csv", tmp_path / "agreement.png"
    agreement_stage(config, sets, table, heatmap)
    with table.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 9 * 4 + 3 * 2
    means = {
        (r["annotator_a"], r["scope"]): float(r["iou"]) for r in rows if r["annotator_b"] == "mean_of_others"
    }
    assert means["expert_a", "classes_apart"] == pytest.approx(((1 / 3 + 1) / 2 + 0.5) / 2, abs=1e-3)
    assert means["expert_b", "merged"] == pytest.approx((0.6 + 50 / 250) / 2, abs=1e-3)
    assert heatmap.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(InputError, match="at least two"):
        agreement_stage(config, {"expert_a": sets["expert_a"]}, table, heatmap)


def test_agreement_rule_runs_only_when_configured(tmp_path):
    config = tmp_path / "agreement.yaml"
    config.write_text(
        yaml.safe_dump({"agreement": {"annotations": {"a": "a.gpkg", "run": "results/detections.gpkg"}}})
    )
    (tmp_path / "a.gpkg").write_bytes(b"")
    with_study = snakemake(tmp_path, "-n", "--quiet", "rules", "--configfile", str(config))
    assert "agreement " in with_study.stdout and "report " in with_study.stdout
    without = snakemake(tmp_path, "-n", "--quiet", "rules")
    assert "agreement " not in without.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"agreement": {"annotations": {"output": "a.gpkg", "9x": "a.gpkg"}}}))
    refused = snakemake(tmp_path, "-n", "--configfile", str(bad), check=False)
    assert refused.returncode != 0 and "agreement.annotations" in refused.stdout + refused.stderr
