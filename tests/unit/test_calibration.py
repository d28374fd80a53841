"""Detection settings: calibrated on out-of-fold likelihood, resolved once per run."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from massmove.evaluate.calibration import best_setting, calibration_table
from massmove.io.detection import DetectionSettings, detection_from_tags, resolve_detection
from massmove.raster import Grid

GRID = Grid(2_600_000.0, 1_200_000.0, 10.0, 40, 40, "EPSG:2056")


def box_px(row0: int, col0: int, row1: int, col1: int) -> shapely.Polygon:
    x0, y0 = GRID.west_m, GRID.north_m
    return shapely.box(x0 + col0 * 10.0, y0 - row1 * 10.0, x0 + col1 * 10.0, y0 - row0 * 10.0)


def test_calibration_picks_the_threshold_and_area_of_the_best_out_of_fold_f1():
    mosaic = np.full(GRID.shape, 0.1, np.float32)
    mosaic[2:8, 2:8] = 0.8  # a true pattern, sure
    mosaic[12:18, 12:18] = 0.55  # a second true pattern, less sure
    mosaic[25:31, 2:8] = 0.6  # clutter taken for a pattern
    mosaic[30:32, 30:32] = 0.9  # a speck of clutter (4 px = 400 m2)
    mosaic[36:, :] = np.nan  # no tile here
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


def test_detection_settings_come_from_config_then_calibration_then_defaults():
    unset = {"threshold": None, "min_area_m2": None}
    calibrated = {"threshold": 0.65, "min_area_m2": 5000.0}
    assert resolve_detection(unset, calibrated) == DetectionSettings(0.65, 5000.0, "calibration")
    assert resolve_detection(unset, None) == DetectionSettings(0.5, 1500.0, "default")
    mixed = resolve_detection({"threshold": 0.4, "min_area_m2": None}, calibrated)
    assert (mixed.threshold, mixed.min_area_m2) == (0.4, 5000.0)
    assert mixed.source == "config threshold, calibration min_area_m2"
    # a likelihood raster carries them; one without them falls back on the config
    tags = resolve_detection(unset, calibrated).tags()
    assert detection_from_tags(tags, {"threshold": 0.2, "min_area_m2": 1.0}).threshold == 0.65
    assert detection_from_tags({}, {"threshold": 0.2, "min_area_m2": None}) == DetectionSettings(
        0.2, 1500.0, "config threshold, default min_area_m2"
    )
