"""Fractal alpine terrain: ridged relief above a main valley, and slope/aspect."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from massmove.grid import Grid
from massmove.simulate.fields import power_law_field

VALLEY_AZIMUTH_DEG = 65.0  # the Rhone valley runs ENE-WSW through Valais


def alpine_terrain(grid: Grid, params: Mapping[str, Any], rng: np.random.Generator) -> NDArray[np.float64]:
    """Heights in metres: a flat main valley, flanks rising to the summits, fractal relief.

    The main valley crosses the scene near its centre, its floor at ``elevation_min_m``; the
    flanks rise over ``flank_width_m`` and carry fractal and ridged relief (power-law spectrum,
    smoothed below ``smoothing_m`` as hillslope processes do); the highest point is
    ``elevation_max_m``.
    """
    sigma_px = params["smoothing_m"] / grid.spacing_m
    beta = params["spectral_exponent"]
    fractal = ndimage.gaussian_filter(power_law_field(grid.shape, grid.spacing_m, beta, rng), sigma_px)
    ridged = 1.0 - np.abs(
        ndimage.gaussian_filter(power_law_field(grid.shape, grid.spacing_m, beta, rng), sigma_px)
    )
    weight = params["ridge_weight"]
    relief = (1.0 - weight) * fractal / fractal.std() + weight * (ridged - ridged.mean()) / ridged.std()

    east, north = grid.centres()
    west, south, east_edge, north_edge = grid.bounds
    offset = rng.uniform(-1.0, 1.0) * min(east_edge - west, north_edge - south) / 10
    centre_e, centre_n = (west + east_edge) / 2, (south + north_edge) / 2
    normal = (-math.cos(math.radians(VALLEY_AZIMUTH_DEG)), math.sin(math.radians(VALLEY_AZIMUTH_DEG)))
    distance = np.abs((east - centre_e) * normal[0] + (north - centre_n) * normal[1] - offset)
    rise = np.clip((distance - params["valley_width_m"] / 2) / params["flank_width_m"], 0.0, 1.0)
    flank = rise * rise * (3 - 2 * rise)  # smoothstep: flat floor, steepening flanks
    low, high = params["elevation_min_m"], params["elevation_max_m"]
    above_floor = np.clip(0.8 * (high - low) * flank + params["roughness_m"] * flank * relief, 0.0, None)
    return low + above_floor * ((high - low) / above_floor.max())


def slope_aspect(height_m: NDArray[np.float64], spacing_m: float) -> tuple[NDArray, NDArray, NDArray]:
    """Slope (degrees) and the unit downslope direction (east, north) of every cell."""
    d_north, d_east = np.gradient(height_m, spacing_m)
    d_north = -d_north  # rows grow southwards
    gradient = np.hypot(d_east, d_north)
    slope = np.degrees(np.arctan(gradient))
    with np.errstate(invalid="ignore", divide="ignore"):
        down_e = np.where(gradient > 0, -d_east / gradient, 0.0)
        down_n = np.where(gradient > 0, -d_north / gradient, 0.0)
    return slope, down_e, down_n


def surface_normal(height_m: NDArray[np.float64], spacing_m: float) -> NDArray[np.float64]:
    """Unit surface normal (east, north, up) of every cell, shape ``(3, rows, cols)``."""
    d_north, d_east = np.gradient(height_m, spacing_m)
    d_north = -d_north
    normal = np.stack([-d_east, -d_north, np.ones_like(height_m)])
    return normal / np.linalg.norm(normal, axis=0)
