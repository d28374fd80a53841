"""Evaluation metrics: hand-computed cases, and an independent recomputation (scikit-learn
pixel scores, shapely areas for object IoU)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sklearn.metrics import f1_score, jaccard_score, precision_score, recall_score

from massmove.errors import InputError
from massmove.evaluate.pair import evaluate_pair, pool_evaluations
from massmove.grid import Grid
from massmove.io.labels import rasterise_labels
from massmove.io.raster_io import write_cog
from massmove.stages.evaluate import evaluate_pair_stage, evaluation_stage

CRS = "EPSG:2056"
X0, Y0, PIXEL_M = 2_600_000.0, 1_100_000.0, 10.0


def grid_of(rows: int = 20, cols: int = 20) -> Grid:
    return Grid(west_m=X0, north_m=Y0, spacing_m=PIXEL_M, height=rows, width=cols, crs=CRS)


def box_px(row0: int, col0: int, row1: int, col1: int) -> shapely.Polygon:
    """A polygon covering pixels [row0, row1) x [col0, col1) exactly."""
    return shapely.box(X0 + col0 * PIXEL_M, Y0 - row1 * PIXEL_M, X0 + col1 * PIXEL_M, Y0 - row0 * PIXEL_M)


def frame(geometries, crs=CRS, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=list(geometries), crs=crs)


def test_hand_computed_pair():
    grid = grid_of()
    # reference A: 4 x 4 px; detection 1 covers A's left half and 2 x 4 px outside (IoU 8/24)
    # reference B: 2 x 2 px, detection 2 equals it (IoU 1); reference C: 3 x 3 px, missed
    references = frame([box_px(0, 0, 4, 4), box_px(10, 10, 12, 12), box_px(15, 15, 18, 18)])
    detections = frame([box_px(0, 0, 4, 2) | box_px(4, 0, 6, 4), box_px(10, 10, 12, 12)])
    likelihood = np.zeros(grid.shape)
    likelihood[0:4, 0:1] = 0.9  # 4 of A's 16 px found (25 %)
    likelihood[10:12, 10:12] = 0.6  # all of B
    likelihood[15:18, 15:17] = 0.7  # 6 of C's 9 px (67 %)
    likelihood[19, :] = np.nan  # nodata row: outside every score
    result = evaluate_pair(
        detections,
        references,
        likelihood,
        grid,
        iou_threshold=0.3,
        likelihood_threshold=0.5,
        coverages=[0.25, 0.5, 0.75],
    )
    # pixels: tp = 8 (A) + 4 (B), fp = 8, fn = 8 (A) + 9 (C)
    assert {k: result["pixel"][k] for k in ("tp", "fp", "fn")} == {"tp": 12, "fp": 8, "fn": 17}
    assert result["pixel"]["iou"] == pytest.approx(12 / 37)
    assert result["pixel"]["f1"] == pytest.approx(24 / 49)
    # objects at t = 0.3: both detections match (IoU 1/3 and 1); at 0.4 only B would
    assert result["object"]["matched"] == 2
    assert [m["iou"] for m in result["object"]["matches"]] == pytest.approx([1.0, 8 / 24])
    assert result["object"]["precision"] == 1.0
    assert result["object"]["recall"] == pytest.approx(2 / 3)
    # Hausdorff: B exact (0 m); A vs detection 1: the detection's far corner (0, 60 m down)
    # lies 20 m below A, and A's right edge lies 20 m from the detection
    assert [m["hausdorff_m"] for m in result["object"]["matches"]] == pytest.approx([0.0, 20.0])
    # likelihood: 4 + 4 + 6 of 16 + 4 + 9 reference px found
    assert result["likelihood_pixel_recall"] == {"tp": 14, "fn": 15, "recall": pytest.approx(14 / 29)}
    assert result["reference_pixel_shares_found"] == pytest.approx([0.25, 1.0, 6 / 9])
    coverage = result["object_recall_at_coverage"]
    assert [coverage[k]["found"] for k in ("0.25", "0.5", "0.75")] == [3, 2, 1]


def test_against_sklearn_and_shapely_on_random_polygons():
    rng = np.random.default_rng(5)
    grid = grid_of(60, 60)

    def blobs(n):
        return [
            shapely.Point(X0 + rng.uniform(50, 550), Y0 - rng.uniform(50, 550)).buffer(rng.uniform(20, 80))
            for _ in range(n)
        ]

    references = frame([g for g in shapely.get_parts(shapely.union_all(blobs(8)))])
    detections = frame([g for g in shapely.get_parts(shapely.union_all(blobs(9)))])
    likelihood = rng.uniform(0, 1, grid.shape)
    result = evaluate_pair(
        detections, references, likelihood, grid, iou_threshold=0.4, likelihood_threshold=0.5, coverages=[0.5]
    )
    truth = rasterise_labels(references, grid).ravel()
    detected = rasterise_labels(detections, grid).ravel()
    assert result["pixel"]["iou"] == pytest.approx(jaccard_score(truth, detected))
    assert result["pixel"]["precision"] == pytest.approx(precision_score(truth, detected))
    assert result["pixel"]["recall"] == pytest.approx(recall_score(truth, detected))
    assert result["pixel"]["f1"] == pytest.approx(f1_score(truth, detected))
    found = (likelihood >= 0.5).ravel()
    assert result["likelihood_pixel_recall"]["recall"] == pytest.approx(recall_score(truth, found))
    # object IoU from areas: every match is a best one-to-one pair above the threshold
    for match in result["object"]["matches"]:
        d = detections.geometry.iloc[match["detection"]]
        r = references.geometry.iloc[match["reference"]]
        assert match["iou"] == pytest.approx(d.intersection(r).area / d.union(r).area)
        assert match["iou"] >= 0.4
        assert match["hausdorff_m"] == pytest.approx(d.hausdorff_distance(r))
    ious = np.array(
        [[d.intersection(r).area / d.union(r).area for r in references.geometry] for d in detections.geometry]
    )
    assert result["object"]["matched"] <= min(
        (ious >= 0.4).any(axis=1).sum(), (ious >= 0.4).any(axis=0).sum()
    )
    assert result["object"]["matched"] >= 1


def test_pooled_figures_sum_counts_then_divide():
    grid = grid_of()
    references = frame([box_px(0, 0, 4, 4)])
    likelihood = np.zeros(grid.shape)
    settings = {"iou_threshold": 0.4, "likelihood_threshold": 0.5, "coverages": [0.5]}
    per_pair = {
        pair: evaluate_pair(frame([detection]), references, likelihood, grid, **settings)
        for pair, detection in (("p1", box_px(0, 0, 4, 4)), ("p2", box_px(8, 8, 12, 12)))
    }
    pooled = pool_evaluations(per_pair, iou_threshold=0.4, likelihood_threshold=0.5)
    assert pooled["pixel_iou"] == pytest.approx(16 / (16 + 16 + 16))
    assert (pooled["object_precision"], pooled["object_recall"], pooled["object_f1"]) == (0.5, 0.5, 0.5)
    assert pooled["counts"]["matched"] == 1 and pooled["hausdorff_m"]["n"] == 1
    assert list(pooled["pairs"]) == ["p1", "p2"]


def write_likelihood(path, values, grid, pair_id="A088_20180801_20180813"):
    bands = [values.astype(np.float32), np.zeros_like(values, dtype=np.float32)]
    write_cog(path, bands, ["likelihood_mean", "likelihood_spread"], grid, {"pair_id": pair_id})


def test_stages_reproject_the_reference_filter_its_class_and_name_bad_files(tmp_path):
    grid = grid_of()
    likelihood = np.zeros(grid.shape)
    likelihood[0:4, 0:4] = 0.8
    write_likelihood(tmp_path / "l.tif", likelihood, grid)
    frame([box_px(0, 0, 4, 4)]).to_file(tmp_path / "d.gpkg", engine="pyogrio")
    # the reference in WGS84, with an incoherent polygon that must not count
    reference = frame([box_px(0, 0, 4, 4), box_px(10, 10, 14, 14)], **{"class": ["coherent", "incoherent"]})
    reference.to_crs("EPSG:4326").to_file(tmp_path / "r.geojson", engine="pyogrio")
    config = {
        "detection": {"threshold": 0.5, "min_area_m2": None},
        "evaluation": {
            "reference_class": "coherent",
            "lenient_class": "faint",
            "class_column": "class",
            "iou_threshold": 0.4,
            "coverage_thresholds": [0.5],
        },
    }
    evaluate_pair_stage(
        config, tmp_path / "d.gpkg", tmp_path / "l.tif", tmp_path / "r.geojson", tmp_path / "e.json"
    )
    record = json.loads((tmp_path / "e.json").read_text())
    assert record["pair_id"] == "A088_20180801_20180813"
    assert record["n_references"] == 1 and record["object"]["matched"] == 1
    assert record["object"]["matches"][0]["iou"] == pytest.approx(1.0, abs=1e-3)  # edges curve in WGS84
    assert record["pixel"]["iou"] == 1.0
    evaluation_stage(config, [tmp_path / "e.json"], tmp_path / "all.json")
    pooled = json.loads((tmp_path / "all.json").read_text())
    assert {k: pooled[k] for k in ("pixel_iou", "object_precision", "object_recall", "object_f1")} == {
        "pixel_iou": 1.0,
        "object_precision": 1.0,
        "object_recall": 1.0,
        "object_f1": 1.0,
    }
    # without classes every polygon counts; a class column that is not there is an error
    evaluate_pair_stage(
        {**config, "evaluation": {**config["evaluation"], "class_column": None}},
        tmp_path / "d.gpkg",
        tmp_path / "l.tif",
        tmp_path / "r.geojson",
        tmp_path / "e2.json",
    )
    assert json.loads((tmp_path / "e2.json").read_text())["n_references"] == 2
    bad = {**config, "evaluation": {**config["evaluation"], "class_column": "klass"}}
    with pytest.raises(InputError, match=r"r\.geojson: no column 'klass'"):
        evaluate_pair_stage(
            bad, tmp_path / "d.gpkg", tmp_path / "l.tif", tmp_path / "r.geojson", tmp_path / "e3.json"
        )
    assert not (tmp_path / "e3.json").exists()
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(InputError, match="broken.json: not a pair evaluation"):
        evaluation_stage(config, [tmp_path / "broken.json"], tmp_path / "all2.json")


def test_lenient_score_sets_detections_on_faint_patterns_aside():
    grid = grid_of()
    references = frame([box_px(0, 0, 4, 4)])
    faint = frame([box_px(10, 10, 14, 14)])
    detections = frame(
        [
            box_px(0, 0, 4, 4),  # matches the coherent reference
            box_px(10, 10, 12, 14),  # half of the faint pattern, all of it on it: set aside
            box_px(13, 13, 16, 16),  # 1 px of its 9 on the faint one: still a false alarm
            box_px(17, 0, 19, 3),  # on nothing: a false alarm
        ]
    )
    result = evaluate_pair(
        detections,
        references,
        np.zeros(grid.shape),
        grid,
        iou_threshold=0.4,
        likelihood_threshold=0.5,
        coverages=[0.5],
        lenient=faint,
    )
    assert result["object"]["precision"] == pytest.approx(1 / 4)
    lenient = result["object_lenient"]
    assert lenient["on_lenient"] == 1 and lenient["n_lenient_references"] == 1
    assert lenient["precision"] == pytest.approx(1 / 3) and lenient["recall"] == 1.0
    assert lenient["f1"] == pytest.approx(2 * 1 / (3 + 1))
    assert result["reference_areas_m2"] == [16 * PIXEL_M**2]
    pooled = pool_evaluations({"a": result, "b": result}, iou_threshold=0.4, likelihood_threshold=0.5)
    assert pooled["object_lenient"]["on_lenient"] == 2
    assert pooled["object_lenient"]["precision"] == pytest.approx(2 / 6)
    assert pooled["object_precision"] == pytest.approx(2 / 8)  # the strict score is unchanged


def test_undefined_scores_are_none_and_written_as_null(tmp_path, caplog):
    grid = grid_of()
    settings = {"iou_threshold": 0.4, "likelihood_threshold": 0.5, "coverages": [0.5]}
    likelihood = np.zeros(grid.shape)
    # nothing detected, one reference: precision undefined, recall and F1 zero
    missed = evaluate_pair(frame([]), frame([box_px(0, 0, 4, 4)]), likelihood, grid, **settings)
    assert {k: missed["object"][k] for k in ("precision", "recall", "f1")} == {
        "precision": None,
        "recall": 0.0,
        "f1": 0.0,
    }
    assert missed["pixel"]["precision"] is None and missed["pixel"]["iou"] == 0.0
    # one false alarm, nothing to find: recall undefined, precision and F1 zero
    alarm = evaluate_pair(frame([box_px(8, 8, 12, 12)]), frame([]), likelihood, grid, **settings)
    assert {k: alarm["object"][k] for k in ("precision", "recall", "f1")} == {
        "precision": 0.0,
        "recall": None,
        "f1": 0.0,
    }
    assert alarm["pixel"]["recall"] is None and alarm["likelihood_pixel_recall"]["recall"] is None
    # nothing to find and nothing found: every proportion undefined, none perfect
    empty = evaluate_pair(frame([]), frame([]), likelihood, grid, **settings)
    assert empty["object"]["matched"] == 0 and empty["object"]["matches"] == []
    assert [empty["object"][k] for k in ("precision", "recall", "f1")] == [None, None, None]
    assert [empty["pixel"][k] for k in ("iou", "precision", "recall", "f1")] == [None] * 4
    assert [empty["object_lenient"][k] for k in ("precision", "recall", "f1")] == [None] * 3
    # the stages write null and log words, not 1.0
    write_likelihood(tmp_path / "l.tif", likelihood, grid)
    frame([]).to_file(tmp_path / "d.gpkg", engine="pyogrio")
    frame([]).to_file(tmp_path / "r.gpkg", engine="pyogrio")
    config = {
        "detection": {"threshold": 0.5, "min_area_m2": None},
        "evaluation": {
            "reference_class": "coherent",
            "lenient_class": None,
            "class_column": None,
            "iou_threshold": 0.4,
            "coverage_thresholds": [0.5],
        },
    }
    with caplog.at_level("INFO", logger="massmove.stages.evaluate"):
        evaluate_pair_stage(
            config, tmp_path / "d.gpkg", tmp_path / "l.tif", tmp_path / "r.gpkg", tmp_path / "e.json"
        )
        evaluation_stage(config, [tmp_path / "e.json"], tmp_path / "all.json")
    text = (tmp_path / "e.json").read_text()
    assert '"precision": null' in text and '"f1": null' in text and '"iou": null' in text
    pooled = json.loads((tmp_path / "all.json").read_text())
    assert [pooled[k] for k in ("pixel_iou", "object_precision", "object_recall", "object_f1")] == [None] * 4
    assert "pixel IoU undefined, object F1 undefined (0 detections" in caplog.text
    assert "object precision no detections, recall nothing to find, F1 undefined" in caplog.text


def test_pooled_scores_are_sums_of_counts_across_a_pair_without_detections():
    grid = grid_of()
    settings = {"iou_threshold": 0.4, "likelihood_threshold": 0.5, "coverages": [0.5]}
    likelihood = np.zeros(grid.shape)
    # p1: 2 detections, 1 of 2 references matched; p2: no detection, 1 reference
    found = evaluate_pair(
        frame([box_px(0, 0, 4, 4), box_px(8, 8, 10, 10)]),
        frame([box_px(0, 0, 4, 4), box_px(14, 14, 18, 18)]),
        likelihood,
        grid,
        **settings,
    )
    none_found = evaluate_pair(frame([]), frame([box_px(4, 10, 8, 14)]), likelihood, grid, **settings)
    assert none_found["object"]["precision"] is None and none_found["pixel"]["precision"] is None
    pooled = pool_evaluations({"p1": found, "p2": none_found}, iou_threshold=0.4, likelihood_threshold=0.5)
    # matched / detections and matched / references over both pairs, not a mean of proportions
    assert pooled["object_precision"] == pytest.approx(1 / 2)
    assert pooled["object_recall"] == pytest.approx(1 / 3)
    assert pooled["object_f1"] == pytest.approx(2 * 1 / (2 + 3))
    # pixels: tp 16, fp 4 (p1); fn 16 (p1) + 16 (p2)
    assert pooled["counts"]["pixel"] == {"tp": 16, "fp": 4, "fn": 32}
    assert pooled["pixel_precision"] == pytest.approx(16 / 20)
    assert pooled["pixel_iou"] == pytest.approx(16 / 52)
    assert pooled["likelihood_pixel_recall"] == 0.0
    assert pooled["object_recall_at_coverage"]["0.5"] == {"found": 0, "total": 3, "recall": 0.0}
    # undefined only when the pooled counts are empty: two pairs without detections
    pooled = pool_evaluations({"a": none_found, "b": none_found}, iou_threshold=0.4, likelihood_threshold=0.5)
    assert pooled["object_precision"] is None and pooled["pixel_precision"] is None
    assert pooled["object_recall"] == 0.0 and pooled["object_f1"] == 0.0
    # and a pooled recall without references anywhere
    nothing = evaluate_pair(frame([]), frame([]), likelihood, grid, **settings)
    pooled = pool_evaluations({"a": nothing}, iou_threshold=0.4, likelihood_threshold=0.5)
    assert pooled["object_recall_at_coverage"]["0.5"]["recall"] is None


def test_the_report_names_undefined_scores_and_shows_their_counts():
    from massmove.report.html import POOLED_ROWS, metric_tables

    grid = grid_of()
    settings = {"iou_threshold": 0.4, "likelihood_threshold": 0.5, "coverages": [0.5]}
    missed = evaluate_pair(frame([]), frame([box_px(0, 0, 4, 4)]), np.zeros(grid.shape), grid, **settings)
    pooled = pool_evaluations({"p": missed}, iou_threshold=0.4, likelihood_threshold=0.5)
    text = metric_tables({"ensemble": pooled})
    rows = {label: key for label, key, _, _ in POOLED_ROWS}
    assert "object precision (detections that match a pattern)" in rows  # plain words, not keys
    row = "<tr><td>object precision (detections that match a pattern)</td>"
    assert row + "<td>no detections (0 of 0 detections)</td></tr>" in text
    assert "<tr><td>pixel precision</td><td>no detections (0 of 0 px)</td></tr>" in text
    assert "<tr><td>object recall (patterns found)</td><td>0.000 (0 of 1 patterns)</td></tr>" in text
    assert "<th>detections</th><th>matched</th><th>references</th>" in text
    assert (
        "<tr><td>p</td><td>ensemble</td><td>0.000</td><td>no detections</td><td>0.000</td><td>0.000</td>"
        "<td>0</td><td>0</td><td>1</td></tr>"
    ) in text
    nothing = evaluate_pair(frame([]), frame([]), np.zeros(grid.shape), grid, **settings)
    text = metric_tables(
        {"ensemble": pool_evaluations({"p": nothing}, iou_threshold=0.4, likelihood_threshold=0.5)}
    )
    assert (
        "<tr><td>object recall (patterns found)</td><td>nothing to find (0 of 0 patterns)</td></tr>" in text
    )
    assert "<tr><td>pixel IoU</td><td>undefined (0 of 0 px)</td></tr>" in text
    assert "<tr><td>object F1</td><td>undefined</td></tr>" in text
    assert (
        "<tr><td>object recall, a pattern found when 50% of it is detected</td><td>nothing to find</td></tr>"
        in text
    )
