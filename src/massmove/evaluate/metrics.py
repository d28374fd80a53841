"""Pixel and object scores of detections against reference polygons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from rasterio import features, windows

from massmove.scores import iou as overlap_iou
from massmove.scores import proportion


def match_objects(
    detections: Sequence[shapely.Geometry], references: Sequence[shapely.Geometry], *, iou_threshold: float
) -> list[tuple[int, int, float]]:
    """One-to-one matches (detection index, reference index, IoU) with IoU >= threshold,
    taken greedily from the highest IoU down."""
    candidates = []
    if len(detections) and len(references):
        tree = shapely.STRtree(list(references))
        left, right = tree.query(list(detections), predicate="intersects")
        for d, r in zip(left.tolist(), right.tolist(), strict=True):
            inter = shapely.area(shapely.intersection(detections[d], references[r]))
            iou = overlap_iou(inter, shapely.area(shapely.union(detections[d], references[r])))
            if iou is not None and iou >= iou_threshold:
                candidates.append((iou, d, r))
    used_d, used_r, matches = set(), set(), []
    for iou, d, r in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if d not in used_d and r not in used_r:
            used_d.add(d)
            used_r.add(r)
            matches.append((d, r, float(iou)))
    return matches


def polygon_pixel_shares(
    polygons: Sequence[shapely.Geometry], found: NDArray[np.bool_], transform: Any
) -> NDArray[np.float64]:
    """Share of each polygon's pixels (pixel centres inside it) that are ``found``; NaN for a
    polygon that holds no pixel centre of the grid."""
    shares = np.full(len(polygons), np.nan)
    rows_max, cols_max = found.shape
    for index, polygon in enumerate(polygons):
        if polygon is None or polygon.is_empty:
            continue
        window = (
            windows.from_bounds(*polygon.bounds, transform=transform)
            .round_offsets(op="floor")
            .round_lengths(op="ceil")
        )
        row0, col0 = max(int(window.row_off) - 1, 0), max(int(window.col_off) - 1, 0)
        row1 = min(int(window.row_off + window.height) + 2, rows_max)
        col1 = min(int(window.col_off + window.width) + 2, cols_max)
        if row1 <= row0 or col1 <= col0:
            continue
        inside = features.rasterize(
            [(polygon, 1)],
            out_shape=(row1 - row0, col1 - col0),
            transform=windows.transform(windows.Window(col0, row0, col1 - col0, row1 - row0), transform),
            fill=0,
            dtype="uint8",
        ).astype(bool)
        if inside.any():
            shares[index] = float(found[row0:row1, col0:col1][inside].mean())
    return shares


def coverage_recall(shares: NDArray[np.float64], coverages: Sequence[float]) -> dict[str, dict[str, Any]]:
    """Object recall at coverage thresholds: a reference polygon counts as found when at least
    that share of its pixels is found (polygons without a pixel count as not found).

    Examples
    --------
    >>> coverage_recall(np.array([0.1, 0.3, 0.6, 0.9]), [0.25, 0.5, 0.75])["0.5"]
    {'found': 2, 'total': 4, 'recall': 0.5}
    """
    total = len(shares)
    result = {}
    for coverage in coverages:
        found = int(np.sum(np.nan_to_num(shares, nan=-1.0) >= coverage))
        result[f"{coverage:g}"] = {"found": found, "total": total, "recall": proportion(found, total)}
    return result
