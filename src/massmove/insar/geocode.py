"""Geocoding (terrain correction): radar-geometry rasters onto the map grid via the DEM."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from massmove.geometry import AcquisitionGeometry, ground_to_radar
from massmove.grid import Grid, sample_bilinear, sample_on_grid
from massmove.insar.multilook import multilooked_coordinate


def grid_radar_coordinates(
    geometry: AcquisitionGeometry, grid: Grid, dem_m: NDArray[np.float64], dem_grid: Grid
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Full-resolution (line, sample) of every map-grid pixel centre at its DEM height."""
    east, north = grid.centres()
    height = sample_on_grid(dem_grid, dem_m, east, north)
    return ground_to_radar(geometry, east, north, height)


def geocode(
    values: NDArray, line: NDArray[np.float64], sample: NDArray[np.float64], looks: tuple[int, int]
) -> NDArray:
    """Bilinear sampling of a multilooked radar raster at full-resolution radar coordinates.

    Complex rasters are interpolated as complex numbers (never the wrapped phase itself).
    NaN where the map pixel falls outside the radar raster or the DEM.
    """
    row = multilooked_coordinate(line, looks[0])
    col = multilooked_coordinate(sample, looks[1])
    out = sample_bilinear(values, row, col)
    out[~(np.isfinite(line) & np.isfinite(sample))] = np.nan
    return out
