"""Support of a detected area across pairs: which pairs could show it, and how many do.

A pair *could see* an area when it covers it with readable coherence (the median coherence
of the area's pixels, no data counted as 0, reaches ``min_coherence``) and, where the DEM and
the pair's viewing geometry are known, its line of sight sees at least ``min_los_share`` of a
downslope motion of the area's mean slope (``|LOS . downslope|``: motion across the line of
sight draws no fringes, whatever moves). A pair *supports* the area when one of its detections
lies on it, or its mean likelihood over the area reaches the pair's detection threshold. A pair
that supports an area could see it. ``support`` counts the supporting pairs; the area is
``confirmed`` when it reaches ``min_support``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from rasterio import features
from scipy import ndimage

from massmove.grid import Grid, sample_on_grid

#: columns support adds to every detected area and every pair's detection
SUPPORT_COLUMNS = ["could_see", "n_could_see", "supported_by", "support", "confirmed"]


class PairView(NamedTuple):
    """What one pair shows on the product grid.

    Attributes
    ----------
    pair_id
        The pair.
    coherence
        Its coherence band (NaN: no data).
    likelihood_mean
        The detector's mean likelihood on it (NaN: no data).
    threshold
        Its detection threshold (the likelihood raster's calibrated or configured one).
    los_enu
        Unit vector from the ground to the sensor (east, north, up) at the product centre, or
        None when the product's tags do not give the heading and incidence.
    """

    pair_id: str
    coherence: NDArray[np.float32]
    likelihood_mean: NDArray[np.float32]
    threshold: float
    los_enu: tuple[float, float, float] | None


def line_of_sight_enu(heading_deg: float, incidence_deg: float) -> tuple[float, float, float]:
    """Unit vector from the ground to a right-looking sensor flying along ``heading_deg``
    (clockwise from north), seen at ``incidence_deg``.

    Examples
    --------
    >>> east, north, up = line_of_sight_enu(-10.0, 40.0)  # ascending: looks east, sensor west
    >>> bool(east < -0.6 and abs(north) < 0.2 and up > 0.7)
    True
    """
    look = math.radians(heading_deg + 90.0)
    incidence = math.radians(incidence_deg)
    return (
        -math.sin(look) * math.sin(incidence),
        -math.cos(look) * math.sin(incidence),
        math.cos(incidence),
    )


def los_of_tags(tags: Mapping[str, Any]) -> tuple[float, float, float] | None:
    """The line of sight of a product from its ``heading_deg`` and ``incidence_deg`` tags, or
    None when either is missing or unknown."""
    try:
        return line_of_sight_enu(float(tags["heading_deg"]), float(tags["incidence_deg"]))
    except (KeyError, TypeError, ValueError):
        return None


def downslope_directions(
    labels: NDArray[np.int32], count: int, grid: Grid, dem_m: NDArray, dem_grid: Grid
) -> NDArray[np.float64]:
    """Unit downslope vectors (east, north, up) of the mean slope of each labelled area
    (labels 1..count on ``grid``), from the DEM's gradient; NaN where the DEM does not cover
    the area, and (0, 0, 0) on flat ground."""
    row_gradient, col_gradient = np.gradient(np.asarray(dem_m, dtype=np.float64), dem_grid.spacing_m)
    east_gradient: NDArray[np.float64] = np.asarray(col_gradient)
    north_gradient: NDArray[np.float64] = -np.asarray(row_gradient)  # rows run southwards
    directions = np.full((count, 3), np.nan)
    if count == 0:
        return directions
    rows, cols = np.nonzero(labels)
    east = grid.west_m + (cols + 0.5) * grid.spacing_m
    north = grid.north_m - (rows + 0.5) * grid.spacing_m
    index = np.arange(1, count + 1)
    per_area = [
        ndimage.mean(sample_on_grid(dem_grid, gradient, east, north), labels[rows, cols], index)
        for gradient in (east_gradient, north_gradient)
    ]
    for i, (ge, gn) in enumerate(zip(*per_area, strict=True)):
        steepness = math.hypot(ge, gn)
        if not math.isfinite(steepness):
            continue
        if steepness == 0.0:
            directions[i] = 0.0
            continue
        slope = math.atan(steepness)
        directions[i] = (
            -ge / steepness * math.cos(slope),
            -gn / steepness * math.cos(slope),
            -math.sin(slope),
        )
    return directions


def area_labels(areas: gpd.GeoDataFrame, grid: Grid) -> NDArray[np.int32]:
    """Labels 1..n of non-overlapping areas on the grid (0 outside every area); an area smaller
    than a pixel still takes the pixel its centre falls in."""
    shape = (grid.height, grid.width)
    if areas.empty:
        return np.zeros(shape, dtype=np.int32)
    shapes = ((geometry, i + 1) for i, geometry in enumerate(areas.geometry))
    labels = features.rasterize(shapes, out_shape=shape, transform=grid.transform, dtype="int32")
    present = set(np.unique(labels).tolist()) - {0}
    for i, geometry in enumerate(areas.geometry):
        if i + 1 not in present:
            point = geometry.representative_point()
            row, col = grid.fractional_index(point.x, point.y)
            row_px = int(np.clip(np.rint(row), 0, shape[0] - 1))
            col_px = int(np.clip(np.rint(col), 0, shape[1] - 1))
            labels[row_px, col_px] = i + 1
    return labels


def area_support(
    areas: gpd.GeoDataFrame,
    detected_in: Sequence[set[str]],
    views: Sequence[PairView],
    grid: Grid,
    *,
    min_coherence: float,
    min_los_share: float,
    min_support: int,
    dem: tuple[NDArray, Grid] | None = None,
) -> gpd.GeoDataFrame:
    """``areas`` with :data:`SUPPORT_COLUMNS`: the pairs that could see each area, those that
    support it, their count and whether the area is confirmed.

    Parameters
    ----------
    areas
        Non-overlapping detected areas on ``grid``'s CRS.
    detected_in
        For each area, the pairs whose detections lie on it.
    views
        Every pair of the run (:class:`PairView`), on ``grid``.
    dem
        The DEM heights and grid for the direction of motion; None: direction not judged.
    """
    labels = area_labels(areas, grid)
    count = len(areas)
    index = np.arange(1, count + 1)
    downslope = (
        downslope_directions(labels, count, grid, *dem)
        if dem is not None and count
        else np.full((count, 3), np.nan)
    )
    could_see: list[list[str]] = [[] for _ in range(count)]
    supported_by: list[list[str]] = [[] for _ in range(count)]
    for view in views:
        if count == 0:
            break
        coherence = np.nan_to_num(view.coherence, nan=0.0)
        median_coherence = ndimage.median(coherence, labels, index)
        likelihood = ndimage.mean(np.nan_to_num(view.likelihood_mean, nan=0.0), labels, index)
        for i in range(count):
            supports = view.pair_id in detected_in[i] or likelihood[i] >= view.threshold
            visible = median_coherence[i] >= min_coherence
            if visible and view.los_enu is not None and np.all(np.isfinite(downslope[i])):
                if np.any(downslope[i]):
                    visible = abs(float(np.dot(view.los_enu, downslope[i]))) >= min_los_share
            if supports:
                supported_by[i].append(view.pair_id)
            if supports or visible:
                could_see[i].append(view.pair_id)
    frame = areas.copy()
    frame["could_see"] = [";".join(sorted(p)) for p in could_see]
    frame["n_could_see"] = np.array([len(p) for p in could_see], dtype=np.int64)
    frame["supported_by"] = [";".join(sorted(p)) for p in supported_by]
    frame["support"] = np.array([len(p) for p in supported_by], dtype=np.int64)
    frame["confirmed"] = frame["support"] >= min_support
    return frame


def without_support(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``areas`` (empty: no pair, or nothing detected) with the support columns, typed."""
    frame = areas.copy()
    for column, dtype in zip(SUPPORT_COLUMNS, ("str", "int64", "str", "int64", "bool"), strict=True):
        frame[column] = (
            pd.Series([], dtype=dtype) if frame.empty else pd.Series(dtype=dtype, index=frame.index)
        )
    return frame


def pair_detection_support(
    detections: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, area_of: NDArray[np.int64]
) -> gpd.GeoDataFrame:
    """Every pair's detections with the ``area_id`` and the support of the area they lie in
    (``area_of``: the row of ``areas`` of each detection)."""
    frame = detections.copy()
    columns = ["area_id", *SUPPORT_COLUMNS]
    for column in columns:
        frame[column] = areas[column].to_numpy()[area_of] if len(frame) else areas[column].iloc[:0].to_numpy()
    return frame
