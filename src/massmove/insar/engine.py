"""The built-in engine: two SLC stores and a DEM in, the interferogram product out.

Chain (as the SNAP/ISSLIDE chain it stands in for): geometric coregistration from orbits and
DEM -> residual offset by amplitude cross-correlation -> resampling of the secondary ->
interferogram with flat-earth and topographic phase removed -> coherence (3 x 10) ->
Goldstein filter -> multilook -> geocoding onto the map grid.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from massmove.errors import ProcessingError
from massmove.geometry import (
    AcquisitionGeometry,
    baseline_components,
    incidence_angle_deg,
    radar_to_ground,
    slant_range,
)
from massmove.grid import Grid, expanded_bounds, sample_on_grid
from massmove.insar.coherence import coherence
from massmove.insar.coregistration import geometric_coordinates, resample, residual_shift
from massmove.insar.geocode import geocode, grid_radar_coordinates
from massmove.insar.goldstein import goldstein_filter
from massmove.insar.multilook import multilook
from massmove.insar.radarcode import radar_coded_heights, simulated_interferometric_phase
from massmove.io.slc_store import SlcScene

log = logging.getLogger(__name__)

RADAR_CODING_MARGIN_M = 1000.0


@dataclasses.dataclass
class Interferogram:
    """A geocoded interferogram and what was measured on the way."""

    wrapped_phase_rad: NDArray[np.float32]
    coherence: NDArray[np.float32]
    grid: Grid
    diagnostics: dict[str, float]


def process_pair(
    reference: SlcScene,
    secondary: SlcScene,
    dem_m: NDArray[np.float64],
    dem_grid: Grid,
    grid: Grid,
    params: Mapping[str, Any],
) -> Interferogram:
    """Run the built-in chain on one pair (arrays in, arrays out).

    Parameters
    ----------
    reference, secondary
        SLC scenes with their annotated geometry.
    dem_m, dem_grid
        DEM heights and grid (map CRS of the product).
    grid
        Product grid.
    params
        The ``interferogram`` section of the config.
    """
    ref_geom, sec_geom = reference.geometry, secondary.geometry
    if not math.isclose(ref_geom.wavelength_m, sec_geom.wavelength_m, rel_tol=1e-9):
        raise ProcessingError("reference and secondary have different wavelengths")
    radar_bounds = expanded_bounds(grid.bounds, RADAR_CODING_MARGIN_M)
    heights = radar_coded_heights(ref_geom, dem_m, dem_grid, radar_bounds, params["dem_densify_m"])
    sec_line, sec_sample = geometric_coordinates(ref_geom, sec_geom, heights)
    secondary_geo = resample(secondary.slc, sec_line, sec_sample)
    coreg = params["coregistration"]
    shift, n_windows = residual_shift(
        reference.slc,
        secondary_geo,
        window=tuple(coreg["window"]),
        grid=tuple(coreg["grid"]),
        min_quality=coreg["min_quality"],
    )
    log.info("residual offset %.3f lines %.3f samples from %d windows", shift.lines, shift.samples, n_windows)
    secondary_reg = resample(secondary.slc, sec_line + shift.lines, sec_sample + shift.samples)

    model_phase_rad = model_phase(ref_geom, sec_geom, dem_m, dem_grid, grid, params, heights=heights)
    phase, coh_out = product_from_coregistered(
        reference.slc, secondary_reg, model_phase_rad, ref_geom, dem_m, dem_grid, grid, params
    )
    return Interferogram(
        phase,
        coh_out,
        grid,
        {
            "coregistration_residual_lines": shift.lines,
            "coregistration_residual_samples": shift.samples,
            "coregistration_windows": float(n_windows),
        },
    )


def model_phase(
    reference: AcquisitionGeometry,
    secondary: AcquisitionGeometry,
    dem_m: NDArray[np.float64],
    dem_grid: Grid,
    grid: Grid,
    params: Mapping[str, Any],
    *,
    heights: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Flat-earth and topographic phase the engine removes, on the reference's radar grid.

    Simulated from the DEM (:func:`simulated_interferometric_phase`); pixels no DEM sample
    reached take the phase of their radar-coded height (``heights``, computed when not
    given), so the result has no NaN.
    """
    radar_bounds = expanded_bounds(grid.bounds, RADAR_CODING_MARGIN_M)
    simulated = simulated_interferometric_phase(
        reference, secondary, dem_m, dem_grid, radar_bounds, params["dem_densify_m"]
    )
    missing = ~np.isfinite(simulated)
    if missing.any():
        if heights is None:
            heights = radar_coded_heights(reference, dem_m, dem_grid, radar_bounds, params["dem_densify_m"])
        simulated[missing] = _pixel_model_phase(reference, secondary, heights, missing)
    return np.nan_to_num(simulated)


def product_from_coregistered(
    reference_slc: NDArray[np.complexfloating],
    secondary_slc: NDArray[np.complexfloating],
    model_phase_rad: NDArray[np.float64],
    reference: AcquisitionGeometry,
    dem_m: NDArray[np.float64],
    dem_grid: Grid,
    grid: Grid,
    params: Mapping[str, Any],
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The engine's chain after coregistration: coherence, flattening, Goldstein, looks, geocoding.

    Parameters
    ----------
    reference_slc, secondary_slc
        The pair on the reference's radar grid (the secondary coregistered).
    model_phase_rad
        Flat-earth and topographic phase removed (:func:`model_phase`).
    reference
        Geometry of the reference (its grid is the SLCs').
    dem_m, dem_grid
        DEM heights and grid, for the geocoding.
    grid
        Product grid.
    params
        The ``interferogram`` section of the config.

    Returns
    -------
    tuple of arrays
        Wrapped phase in (-pi, pi] and coherence in [0, 1] on ``grid``; NaN where either has no data.
    """
    window = (params["coherence_window"]["azimuth"], params["coherence_window"]["range"])
    coh = coherence(reference_slc, secondary_slc, window, phase_model_rad=model_phase_rad)
    flattened = reference_slc * np.conj(secondary_slc) * np.exp(-1j * model_phase_rad).astype(np.complex64)
    gold = params["goldstein"]
    filtered = goldstein_filter(
        flattened, alpha=gold["alpha"], fft_size=gold["fft_size"], window=gold["window"]
    )
    looks = (params["multilook"]["azimuth"], params["multilook"]["range"])
    ifg_ml = multilook(filtered, looks)
    coh_ml = multilook(coh.astype(np.float64), looks)

    grid_line, grid_sample = grid_radar_coordinates(reference, grid, dem_m, dem_grid)
    ifg_map = geocode(ifg_ml, grid_line, grid_sample, looks)
    coh_map = geocode(coh_ml, grid_line, grid_sample, looks)
    phase = np.angle(ifg_map).astype(np.float32)
    phase[~np.isfinite(ifg_map)] = np.nan
    phase[phase == -np.float32(np.pi)] = np.float32(np.pi)  # the contract's interval is (-pi, pi]
    coh_out = np.clip(coh_map, 0.0, 1.0).astype(np.float32)
    coh_out[~np.isfinite(phase)] = np.nan
    phase[~np.isfinite(coh_out)] = np.nan
    return phase, coh_out


def _pixel_model_phase(
    reference: AcquisitionGeometry,
    secondary: AcquisitionGeometry,
    heights: NDArray[np.float64],
    where: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Flat-earth and topographic phase of the pixels ``where`` at their radar-coded height.

    The fallback for pixels that no DEM sample reached in the footprint simulation.
    """
    line, sample = np.nonzero(where)
    height = heights[where]
    east, north = radar_to_ground(reference, line, sample, height)
    range_ref = reference.near_range_m + sample * reference.range_pixel_spacing_m
    return 4 * math.pi / reference.wavelength_m * (slant_range(secondary, east, north, height) - range_ref)


def pair_geometry_tags(
    reference: AcquisitionGeometry,
    secondary: AcquisitionGeometry,
    grid: Grid,
    dem_m: NDArray,
    dem_grid: Grid,
) -> dict[str, Any]:
    """Geometry tags of a pair at the product centre: baseline, incidence, heading, wavelength."""
    west, south, east, north = grid.bounds
    ce, cn = (west + east) / 2, (south + north) / 2
    height = float(np.nan_to_num(sample_on_grid(dem_grid, dem_m, ce, cn), nan=float(np.nanmean(dem_m))))
    perpendicular, _ = baseline_components(reference, secondary, ce, cn, height)
    incidence = float(incidence_angle_deg(reference, ce, cn, height))
    return {
        "perpendicular_baseline_m": round(perpendicular, 3),
        "wavelength_m": reference.wavelength_m,
        "heading_deg": reference.heading_deg,
        "incidence_deg": round(incidence, 4),
    }
