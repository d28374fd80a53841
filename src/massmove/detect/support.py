"""Support of a detection across pairs: which pairs could show it, and how many do.

Each pair's detections and each merged area are judged on their own outline. A pair *could
see* an area when it covers it with readable coherence (the median coherence
of the area's pixels, no data counted as 0, reaches ``min_coherence``) and, where the DEM and
the pair's viewing geometry are known, its line of sight sees at least ``min_los_share`` of a
downslope motion of the area's mean slope (``|LOS . downslope|``: motion across the line of
sight draws no fringes, whatever moves). A pair *supports* the area when one of its detections
lies on it, or its mean likelihood over the area reaches the pair's detection threshold. A pair
that supports an area could see it. ``support`` counts the supporting pairs,
``independent_support`` the most of them that share no acquisition (pairs with a common
reference carry its atmosphere and speckle into each other's phase, so they are not independent
witnesses); the area is ``confirmed`` when the count the rule uses reaches ``min_support``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.transform
import shapely
from numpy.typing import NDArray
from rasterio import features

from massmove.grid import Grid, sample_on_grid
from massmove.pairs import independent_pair_count

#: columns support adds to every detected area and every pair's detection
SUPPORT_COLUMNS = [
    "could_see",
    "n_could_see",
    "supported_by",
    "support",
    "independent_support",
    "confirmed",
]


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
    acquisitions
        Its two acquisitions (:func:`massmove.pairs.acquisitions_of_tags`; empty: unknown).
    grid
        The grid of its bands (frames of one stack may differ); None: the grid every view
        shares (:func:`polygon_support`'s).
    """

    pair_id: str
    coherence: NDArray[np.float32]
    likelihood_mean: NDArray[np.float32]
    threshold: float
    los_enu: tuple[float, float, float] | None
    acquisitions: frozenset[str] = frozenset()
    grid: Grid | None = None


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


class PolygonPixels(NamedTuple):
    """The pixels of one polygon on the grid: a window and the mask inside it."""

    rows: slice
    cols: slice
    mask: NDArray[np.bool_]


def polygon_pixels(geometry: shapely.Geometry, grid: Grid) -> PolygonPixels | None:
    """The grid pixels whose centres the polygon holds (the pixel of its representative point
    when it holds none), or None when it lies outside the grid."""
    west, south, east, north = geometry.bounds
    row0 = max(int(math.floor((grid.north_m - north) / grid.spacing_m)), 0)
    row1 = min(int(math.ceil((grid.north_m - south) / grid.spacing_m)), grid.height)
    col0 = max(int(math.floor((west - grid.west_m) / grid.spacing_m)), 0)
    col1 = min(int(math.ceil((east - grid.west_m) / grid.spacing_m)), grid.width)
    if row0 >= row1 or col0 >= col1:
        return None
    transform = rasterio.transform.from_origin(
        grid.west_m + col0 * grid.spacing_m,
        grid.north_m - row0 * grid.spacing_m,
        grid.spacing_m,
        grid.spacing_m,
    )
    mask = features.geometry_mask(
        [geometry], out_shape=(row1 - row0, col1 - col0), transform=transform, invert=True
    )
    if not mask.any():
        point = geometry.representative_point()
        row, col = grid.fractional_index(point.x, point.y)
        mask[
            int(np.clip(np.rint(row) - row0, 0, row1 - row0 - 1)),
            int(np.clip(np.rint(col) - col0, 0, col1 - col0 - 1)),
        ] = True
    return PolygonPixels(slice(row0, row1), slice(col0, col1), mask)


def downslope_direction(
    pixels: PolygonPixels, grid: Grid, dem_m: NDArray, dem_grid: Grid
) -> NDArray[np.float64]:
    """Unit downslope vector (east, north, up) of a polygon's mean slope from the DEM's
    gradient at its pixels; NaN where the DEM does not cover it, (0, 0, 0) on flat ground."""
    rows, cols = np.nonzero(pixels.mask)
    east = grid.west_m + (cols + pixels.cols.start + 0.5) * grid.spacing_m
    north = grid.north_m - (rows + pixels.rows.start + 0.5) * grid.spacing_m
    heights = np.asarray(dem_m, dtype=np.float64)
    step = dem_grid.spacing_m
    east_gradient = (
        sample_on_grid(dem_grid, heights, east + step, north)
        - sample_on_grid(dem_grid, heights, east - step, north)
    ) / (2 * step)
    north_gradient = (
        sample_on_grid(dem_grid, heights, east, north + step)
        - sample_on_grid(dem_grid, heights, east, north - step)
    ) / (2 * step)
    ge, gn = float(np.mean(east_gradient)), float(np.mean(north_gradient))
    steepness = math.hypot(ge, gn)
    if not math.isfinite(steepness):
        return np.full(3, np.nan)
    if steepness == 0.0:
        return np.zeros(3)
    slope = math.atan(steepness)
    horizontal = math.cos(slope) / steepness
    return np.array([-ge * horizontal, -gn * horizontal, -math.sin(slope)])


def polygon_support(
    polygons: gpd.GeoDataFrame,
    detected_in: Sequence[set[str]],
    views: Sequence[PairView],
    grid: Grid,
    *,
    min_coherence: float,
    min_los_share: float,
    min_support: int,
    independent: bool,
    min_likelihood_share: float = 1.0,
    dem: tuple[NDArray, Grid] | None = None,
) -> gpd.GeoDataFrame:
    """``polygons`` with :data:`SUPPORT_COLUMNS`: the pairs that could see each polygon, those
    that support it, their count and whether it is confirmed.

    Parameters
    ----------
    polygons
        Detected polygons (a pair's detections, or merged areas; they may overlap) in
        ``grid``'s CRS.
    detected_in
        For each polygon, the pairs whose detections lie on it.
    views
        Every pair of the run (:class:`PairView`), each on its own grid or on ``grid``.
    independent
        Confirm on ``independent_support`` (supporting pairs that share no acquisition)
        rather than on ``support``.
    min_likelihood_share
        A pair without a detection on the polygon supports it when its mean likelihood over
        it reaches this share of the pair's threshold.
    dem
        The DEM heights and grid for the direction of motion; None: direction not judged.
    """
    could_see: list[list[str]] = []
    supported_by: list[list[str]] = []
    for i, geometry in enumerate(polygons.geometry):
        on_grid: dict[Grid, PolygonPixels | None] = {}
        for view_grid in [grid, *(view.grid for view in views if view.grid is not None)]:
            if view_grid not in on_grid:
                on_grid[view_grid] = polygon_pixels(geometry, view_grid)
        downslope = np.full(3, np.nan)
        located = [(g, p) for g, p in on_grid.items() if p is not None]
        if dem is not None and located:
            downslope = downslope_direction(located[0][1], located[0][0], *dem)
        seen, supporting = [], []
        for view in views:
            pixels = on_grid[view.grid or grid]
            if pixels is None:
                supports, visible = view.pair_id in detected_in[i], False
            else:
                window = (pixels.rows, pixels.cols)
                coherence = np.nan_to_num(view.coherence[window][pixels.mask], nan=0.0)
                likelihood = np.nan_to_num(view.likelihood_mean[window][pixels.mask], nan=0.0)
                bar = view.threshold * min_likelihood_share
                supports = view.pair_id in detected_in[i] or float(likelihood.mean()) >= bar
                visible = float(np.median(coherence)) >= min_coherence
                if (
                    visible
                    and view.los_enu is not None
                    and np.all(np.isfinite(downslope))
                    and downslope.any()
                ):
                    visible = abs(float(np.dot(view.los_enu, downslope))) >= min_los_share
            if supports:
                supporting.append(view.pair_id)
            if supports or visible:
                seen.append(view.pair_id)
        could_see.append(sorted(seen))
        supported_by.append(sorted(supporting))
    frame = polygons.copy()
    frame["could_see"] = [";".join(p) for p in could_see]
    frame["n_could_see"] = np.array([len(p) for p in could_see], dtype=np.int64)
    frame["supported_by"] = [";".join(p) for p in supported_by]
    frame["support"] = np.array([len(p) for p in supported_by], dtype=np.int64)
    acquisitions = {view.pair_id: view.acquisitions for view in views}
    frame["independent_support"] = np.array(
        [independent_pair_count(p, acquisitions) for p in supported_by], dtype=np.int64
    )
    frame["confirmed"] = frame["independent_support" if independent else "support"] >= min_support
    return frame


def detecting_pairs(polygons: gpd.GeoDataFrame, detections: gpd.GeoDataFrame) -> list[set[str]]:
    """For each polygon, the pairs whose ``detections`` (with ``pair_id``) intersect it."""
    found: list[set[str]] = [set() for _ in range(len(polygons))]
    if len(polygons) and len(detections):
        tree = shapely.STRtree(detections.geometry.to_numpy())
        left, right = tree.query(polygons.geometry.to_numpy(), predicate="intersects")
        pair_ids = detections["pair_id"].to_numpy()
        for polygon, detection in zip(left.tolist(), right.tolist(), strict=True):
            found[polygon].add(str(pair_ids[detection]))
    return found


def without_support(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """An empty ``areas`` (no pair, or nothing detected) with the support columns, typed."""
    frame = areas.iloc[:0].copy()
    dtypes = ("str", "int64", "str", "int64", "int64", "bool")
    for column, dtype in zip(SUPPORT_COLUMNS, dtypes, strict=True):
        frame[column] = pd.Series([], dtype=dtype)
    return frame
