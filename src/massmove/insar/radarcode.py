"""DEM in radar geometry: the height seen by every pixel of an SLC."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from massmove.errors import InputError
from massmove.geometry import AcquisitionGeometry, ground_to_radar
from massmove.raster import Grid, sample_on_grid

MAX_FILL_PX = 8


def radar_coded_heights(
    geometry: AcquisitionGeometry,
    dem_m: NDArray[np.float64],
    dem_grid: Grid,
    bounds: tuple[float, float, float, float],
    spacing_m: float,
) -> NDArray[np.float64]:
    """Mean DEM height of every radar pixel (NaN where the DEM does not reach).

    The DEM is sampled (bilinearly) at ``spacing_m`` over ``bounds``, each sample is mapped
    into the radar grid and heights are averaged per pixel (layover pixels average the
    slopes that fold into them); pixels that no sample hit but that lie within a few pixels
    of one (stretched back slopes) take the nearest value.
    """
    west, south, east, north = bounds
    sample_grid = Grid.from_bounds(west, south, east, north, spacing_m, dem_grid.crs)
    lines_out = np.zeros(geometry.n_lines * geometry.n_samples)
    counts = np.zeros_like(lines_out)
    east_all, north_all = sample_grid.centres()
    for rows in np.array_split(np.arange(sample_grid.height), max(1, sample_grid.height // 256)):
        e, n = east_all[rows], north_all[rows]
        h = sample_on_grid(dem_grid, dem_m, e, n)
        known = np.isfinite(h)
        e, n, h = e[known], n[known], h[known]
        line, sample = ground_to_radar(geometry, e, n, h)
        il, js = np.rint(line).astype(np.int64), np.rint(sample).astype(np.int64)
        ok = (il >= 0) & (il < geometry.n_lines) & (js >= 0) & (js < geometry.n_samples)
        flat = il[ok] * geometry.n_samples + js[ok]
        lines_out += np.bincount(flat, weights=h[ok], minlength=lines_out.size)
        counts += np.bincount(flat, minlength=counts.size)
    if not counts.any():
        raise InputError(f"the DEM ({dem_grid.bounds}) does not cover the SLC footprint")
    counts = counts.reshape(geometry.n_lines, geometry.n_samples)
    heights = (lines_out.reshape(counts.shape) / np.where(counts > 0, counts, 1)).astype(np.float64)
    empty = counts == 0
    distance, (ri, ci) = ndimage.distance_transform_edt(empty, return_indices=True)
    heights = heights[ri, ci]
    heights[distance > MAX_FILL_PX] = np.nan
    return heights
