"""Detection settings: calibrated on the deployed ensemble's likelihood with a floor of matches,
resolved where polygons are made."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from massmove.evaluate.calibration import best_setting, calibration_table, choose_detection
from massmove.grid import Grid
from massmove.io.detection import (
    DetectionSettings,
    calibration_from_tags,
    calibration_tags,
    detection_from_tags,
    resolve_detection,
)

GRID = Grid(2_600_000.0, 1_200_000.0, 10.0, 40, 40, "EPSG:2056")


def box_px(row0: int, col0: int, row1: int, col1: int) -> shapely.Polygon:
    x0, y0 = GRID.west_m, GRID.north_m
    return shapely.box(x0 + col0 * 10.0, y0 - row1 * 10.0, x0 + col1 * 10.0, y0 - row0 * 10.0)


def test_calibration_table_scores_every_candidate_on_the_covered_ground():
    mosaic = np.full(GRID.shape, 0.1, np.float32)
    mosaic[2:8, 2:8] = 0.8  # a true pattern, sure
    mosaic[12:18, 12:18] = 0.55  # a second true pattern, less sure
    mosaic[25:31, 2:8] = 0.6  # clutter taken for a pattern
    mosaic[30:32, 30:32] = 0.9  # a speck of clutter (4 px = 400 m2)
    mosaic[36:, :] = np.nan  # no data here
    references = [box_px(2, 2, 8, 8), box_px(12, 12, 18, 18), box_px(37, 0, 40, 5)]  # the last: uncovered
    table = calibration_table(
        {"p.tif": (mosaic, GRID)},
        {"p.tif": references},
        thresholds=[0.5, 0.58, 0.7],
        min_areas_m2=[0.0, 1000.0],
        iou_threshold=0.4,
    )
    rows = {(r["threshold"], r["min_area_m2"]): r for r in table}
    # the uncovered reference is not counted: two references everywhere
    assert all(r["references"] == 2 for r in table)
    assert rows[(0.5, 0.0)]["detections"] == 4 and rows[(0.5, 0.0)]["matched"] == 2
    assert rows[(0.5, 1000.0)]["detections"] == 3  # the speck goes
    assert rows[(0.58, 1000.0)]["detections"] == 2 and rows[(0.58, 1000.0)]["matched"] == 1
    best = best_setting(table)
    # F1: (0.5, 1000) -> 4/5; (0.58, 1000) -> 2/4; (0.7, *) -> 2/3 or 1/2
    assert (best["threshold"], best["min_area_m2"]) == (0.5, 1000.0)
    assert best["f1"] == pytest.approx(0.8)


FALLBACK = {"threshold": 0.5, "min_area_m2": 5600.0}


def row(threshold: float, min_area_m2: float, detections: int, references: int, matched: int) -> dict:
    f1 = 2 * matched / (detections + references) if detections + references else None
    return {
        "threshold": threshold,
        "min_area_m2": min_area_m2,
        "detections": detections,
        "references": references,
        "matched": matched,
        "precision": matched / detections if detections else None,
        "recall": matched / references if references else None,
        "f1": f1,
    }


def test_the_best_candidate_is_used_only_when_it_rests_on_enough_matches():
    # the study's 0.5 beats nothing here; 0.7 with 0 m2 has the best F1 (60 / 110)
    table = [row(0.5, 5600.0, 80, 50, 30), row(0.7, 0.0, 60, 50, 30), row(0.9, 0.0, 0, 50, 0)]
    chosen = choose_detection(table, min_matched=30, fallback=FALLBACK, products=4, iou_threshold=0.4)
    assert (chosen["threshold"], chosen["min_area_m2"], chosen["basis"]) == (0.7, 0.0, "calibrated")
    assert chosen["best"]["matched"] == 30 and chosen["calibrated_on"]["min_matched"] == 30
    # one match short of the floor: the fallback, and the best candidate still reported
    chosen = choose_detection(table, min_matched=31, fallback=FALLBACK, products=4, iou_threshold=0.4)
    assert (chosen["threshold"], chosen["min_area_m2"], chosen["basis"]) == (0.5, 5600.0, "fallback")
    assert (
        chosen["best"]["threshold"] == 0.7
        and "fewer than train.calibration.min_matched (31)" in chosen["reason"]
    )
    # nothing to calibrate on
    nothing = choose_detection([], min_matched=1, fallback=FALLBACK, products=0, iou_threshold=0.4)
    assert nothing["basis"] == "fallback" and nothing["best"] is None and "nothing" in nothing["reason"]


def test_an_undefined_f1_never_wins_and_ties_go_to_the_more_conservative_setting():
    table = [
        row(0.3, 0.0, 0, 0, 0),
        row(0.5, 0.0, 10, 10, 5),
        row(0.6, 3000.0, 10, 10, 5),
        row(0.6, 0.0, 8, 12, 5),
    ]
    best = best_setting(table)
    assert (best["threshold"], best["min_area_m2"]) == (0.6, 3000.0)
    assert best_setting([row(0.3, 0.0, 0, 0, 0), row(0.9, 0.0, 0, 4, 0)])["threshold"] == 0.9


def test_detection_settings_come_from_config_then_calibration_then_defaults():
    unset = {"threshold": None, "min_area_m2": None}
    calibrated = {"threshold": 0.65, "min_area_m2": 5000.0, "basis": "calibrated"}
    assert resolve_detection(unset, calibrated) == DetectionSettings(0.65, 5000.0, "calibration")
    assert resolve_detection(unset, None) == DetectionSettings(0.5, 1500.0, "default")
    mixed = resolve_detection({"threshold": 0.4, "min_area_m2": None}, calibrated)
    assert (mixed.threshold, mixed.min_area_m2) == (0.4, 5000.0)
    assert mixed.source == "config threshold, calibration min_area_m2"
    fallback = resolve_detection(unset, {**FALLBACK, "basis": "fallback"})
    assert fallback == DetectionSettings(0.5, 5600.0, "calibration (fallback)")
    # a likelihood raster carries the detector's calibration; the config's detection overrides it
    tags = calibration_tags(calibrated)
    assert calibration_from_tags(tags) == calibrated
    assert detection_from_tags(tags, unset) == DetectionSettings(0.65, 5000.0, "calibration")
    assert detection_from_tags(tags, {"threshold": 0.2, "min_area_m2": 1.0}) == DetectionSettings(
        0.2, 1.0, "config"
    )
    # a raster without a calibration (the classical baseline) takes the config, then the defaults
    assert detection_from_tags({}, {"threshold": 0.2, "min_area_m2": None}) == DetectionSettings(
        0.2, 1500.0, "config threshold, default min_area_m2"
    )
