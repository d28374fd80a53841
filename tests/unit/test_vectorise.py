"""Detection polygons and their merge across pairs."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from massmove.detect.vectorise import detection_polygons, merge_detections
from massmove.evaluate.metrics import match_objects
from massmove.grid import Grid
from massmove.scores import object_scores, pixel_counts, pixel_scores

GRID = Grid(2600000.0, 1100000.0, 12.5, 40, 40, "EPSG:2056")


def tags(pair_id: str, track: str) -> dict:
    return {"pair_id": pair_id, "track": track, "reference": "2018-08-01", "secondary": "2018-08-13",
            "baseline_days": "12"}  # fmt: skip


def likelihood() -> tuple[np.ndarray, np.ndarray]:
    mean = np.zeros((40, 40), dtype=np.float32)
    mean[2:12, 3:13] = 0.8  # 100 px = 15,625 m2
    mean[5, 5] = 0.95
    mean[20:22, 20:22] = 0.7  # 4 px = 625 m2: below min_area
    mean[30:36, 30:34] = 0.49  # below threshold
    mean[0:3, 36:40] = np.nan
    spread = np.full((40, 40), 0.1, dtype=np.float32)
    return mean, spread


def test_polygons_have_area_statistics_and_pair_attributes():
    mean, spread = likelihood()
    frame = detection_polygons(mean, spread, GRID, tags("A088_20180801_20180813", "A088"),
                               threshold=0.5, min_area_m2=1000.0)  # fmt: skip
    assert len(frame) == 1 and frame.crs.to_epsg() == 2056
    row = frame.iloc[0]
    assert row["area_m2"] == pytest.approx(100 * 12.5**2) == pytest.approx(frame.geometry.iloc[0].area)
    assert row["likelihood_max"] == pytest.approx(0.95)
    assert row["likelihood_mean"] == pytest.approx((99 * 0.8 + 0.95) / 100)
    assert row["spread_mean"] == pytest.approx(0.1)
    assert row["pair_id"] == "A088_20180801_20180813" and row["baseline_days"] == 12
    west, _, _, north = frame.geometry.iloc[0].bounds
    assert west == GRID.west_m + 3 * 12.5 and north == GRID.north_m - 2 * 12.5
    every = detection_polygons(mean, spread, GRID, {}, threshold=0.5, min_area_m2=0.0)
    assert sorted(every["area_m2"]) == pytest.approx([4 * 12.5**2, 100 * 12.5**2])


def test_merge_counts_pairs_and_viewing_geometries():
    mean, spread = likelihood()
    shifted = np.roll(mean, 3, axis=1)
    sources = [
        (mean, "A088_20180801_20180813", "A088"),
        (mean, "A088_20180801_20180819", "A088"),
        (shifted, "D066_20180801_20180813", "D066"),
    ]
    layers = [
        detection_polygons(m, spread, GRID, tags(pair, track), threshold=0.5, min_area_m2=0)
        for m, pair, track in sources
    ]
    merged = merge_detections(layers, "EPSG:2056").sort_values(["area_m2", "n_pairs"])
    # the small blob: seen by both A088 pairs, and shifted by 3 px (apart) in D066; the large
    # one overlaps in all three pairs
    assert merged["n_pairs"].tolist() == [1, 2, 3] and merged["n_geometries"].tolist() == [1, 1, 2]
    assert merged["area_m2"].tolist() == pytest.approx([4 * 12.5**2, 4 * 12.5**2, 130 * 12.5**2])
    assert merged["tracks"].iloc[2] == "A088;D066"


def test_scores_on_hand_computed_cases():
    detected = np.array([[1, 1, 0], [0, 1, 0]], dtype=bool)
    reference = np.array([[1, 0, 0], [0, 1, 1]], dtype=bool)
    counts = pixel_counts(detected, reference)
    assert counts == {"tp": 2, "fp": 1, "fn": 1}
    assert pixel_scores(counts) == pytest.approx(
        {"iou": 0.5, "precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3}
    )
    a = shapely.box(0, 0, 10, 10)
    detections = [shapely.box(0, 0, 10, 5), shapely.box(20, 20, 30, 30), shapely.box(0, 0, 10, 9)]
    references = [a, shapely.box(50, 50, 60, 60)]
    matches = match_objects(detections, references, iou_threshold=0.4)
    assert matches == [(2, 0, pytest.approx(0.9))]  # the best of two candidates, one-to-one
    assert object_scores(3, 2, len(matches)) == pytest.approx({"precision": 1 / 3, "recall": 0.5, "f1": 0.4})


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((0, 2, 0), {"precision": None, "recall": 0.0, "f1": 0.0}),  # nothing detected
        ((3, 0, 0), {"precision": 0.0, "recall": None, "f1": 0.0}),  # nothing to find
        ((0, 0, 0), {"precision": None, "recall": None, "f1": None}),  # neither
    ],
)
def test_object_scores_are_undefined_not_perfect_on_empty_sets(counts, expected):
    assert object_scores(*counts) == expected


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"tp": 0, "fp": 0, "fn": 5}, {"iou": 0.0, "precision": None, "recall": 0.0, "f1": 0.0}),
        ({"tp": 0, "fp": 4, "fn": 0}, {"iou": 0.0, "precision": 0.0, "recall": None, "f1": 0.0}),
        ({"tp": 0, "fp": 0, "fn": 0}, {"iou": None, "precision": None, "recall": None, "f1": None}),
    ],
)
def test_pixel_scores_are_undefined_not_perfect_on_empty_sets(counts, expected):
    assert pixel_scores(counts) == expected
