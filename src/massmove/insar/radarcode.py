"""DEM in radar geometry: the height seen by every pixel of an SLC."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from massmove.errors import InputError
from massmove.geometry import AcquisitionGeometry, ground_to_radar, slant_range
from massmove.grid import Grid, sample_on_grid
from massmove.splat import accumulate

MAX_FILL_PX = 8


def dem_samples_in_radar(
    geometry: AcquisitionGeometry,
    dem_m: NDArray[np.float64],
    dem_grid: Grid,
    bounds: tuple[float, float, float, float],
    spacing_m: float,
) -> Iterator[tuple[NDArray, NDArray, NDArray, NDArray, NDArray]]:
    """DEM samples every ``spacing_m`` over ``bounds``, block by block, with their radar position.

    Yields (easting, northing, height, line, sample) of the samples where the DEM is known.
    """
    west, south, east, north = bounds
    sample_grid = Grid.from_bounds(west, south, east, north, spacing_m, dem_grid.crs)
    east_all, north_all = sample_grid.centres()
    for rows in np.array_split(np.arange(sample_grid.height), max(1, sample_grid.height // 256)):
        e, n = east_all[rows], north_all[rows]
        h = sample_on_grid(dem_grid, dem_m, e, n)
        known = np.isfinite(h)
        e, n, h = e[known], n[known], h[known]
        line, sample = ground_to_radar(geometry, e, n, h)
        yield e, n, h, line, sample


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
    height_sums = np.zeros(geometry.n_lines * geometry.n_samples)
    counts = np.zeros_like(height_sums)
    for _, _, h, line, sample in dem_samples_in_radar(geometry, dem_m, dem_grid, bounds, spacing_m):
        il, js = np.rint(line).astype(np.int64), np.rint(sample).astype(np.int64)
        ok = (il >= 0) & (il < geometry.n_lines) & (js >= 0) & (js < geometry.n_samples)
        flat = il[ok] * geometry.n_samples + js[ok]
        height_sums += np.bincount(flat, weights=h[ok], minlength=height_sums.size)
        counts += np.bincount(flat, minlength=counts.size)
    if not counts.any():
        raise InputError(f"the DEM ({dem_grid.bounds}) does not cover the SLC footprint")
    counts_2d = counts.reshape(geometry.n_lines, geometry.n_samples)
    heights = (height_sums.reshape(counts_2d.shape) / np.where(counts_2d > 0, counts_2d, 1)).astype(
        np.float64
    )
    empty = counts_2d == 0
    distance, (ri, ci) = ndimage.distance_transform_edt(empty, return_indices=True)
    heights = heights[ri, ci]
    heights[distance > MAX_FILL_PX] = np.nan
    return heights


def simulated_interferometric_phase(
    reference: AcquisitionGeometry,
    secondary: AcquisitionGeometry,
    dem_m: NDArray[np.float64],
    dem_grid: Grid,
    bounds: tuple[float, float, float, float],
    spacing_m: float,
) -> NDArray[np.float64]:
    """Flat-earth plus topographic phase of every reference pixel, simulated from the DEM.

    Each DEM sample's phase ``4 pi / wavelength (R_secondary - R_reference)`` is spread over
    the reference pixels around it with a cubic kernel (close to the SLC impulse response)
    and the phase of the complex sum is kept. In steep terrain, where one pixel gathers
    ground of very different heights, this is the phase the pixel actually carries, which
    the height averaged over the pixel would miss. NaN where no DEM sample contributes.
    """
    phasor = np.zeros((reference.n_lines, reference.n_samples), dtype=np.complex128)
    scale = 4 * np.pi / reference.wavelength_m
    for e, n, h, line, sample in dem_samples_in_radar(reference, dem_m, dem_grid, bounds, spacing_m):
        range_ref = reference.near_range_m + sample * reference.range_pixel_spacing_m
        phase = scale * (slant_range(secondary, e, n, h) - range_ref)
        accumulate(phasor, line, sample, np.exp(1j * phase), 1)
    result = np.angle(phasor)
    result[np.abs(phasor) == 0] = np.nan
    return result
