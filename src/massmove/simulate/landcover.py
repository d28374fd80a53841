"""Land cover (water, forest, meadow, rock, glacier) from elevation, slope and chance."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from massmove.grid import Grid
from massmove.simulate.fields import power_law_field


class LandCover(enum.IntEnum):
    """Land cover codes of the ground store."""

    WATER = 0
    FOREST = 1
    MEADOW = 2
    ROCK = 3
    GLACIER = 4


def classify_landcover(
    grid: Grid,
    height_m: NDArray[np.float64],
    slope_deg: NDArray[np.float64],
    params: Mapping[str, Any],
    rng: np.random.Generator,
) -> NDArray[np.uint8]:
    """Assign a land cover class to every ground cell.

    Forest covers a random ``forest_fraction`` of the land below a ragged treeline, rock the
    slopes steeper than ``rock_slope_deg`` and the heights above the vegetation, glacier the
    gentle slopes above ``glacier_min_m``, water a river on the flattest valley floor.
    """
    patches = power_law_field(grid.shape, grid.spacing_m, 3.0, rng, outer_scale_m=3000.0)
    ragged = power_law_field(grid.shape, grid.spacing_m, 3.0, rng, outer_scale_m=1000.0)
    cover = np.full(grid.shape, LandCover.MEADOW, dtype=np.uint8)
    below_treeline = height_m < params["treeline_m"] + 120.0 * ragged
    forest_cut = np.quantile(patches, params["forest_fraction"])
    cover[below_treeline & (patches < forest_cut)] = LandCover.FOREST
    bare = (slope_deg > params["rock_slope_deg"]) | (height_m > params["treeline_m"] + 600.0 + 200.0 * ragged)
    cover[bare] = LandCover.ROCK
    glacier = (height_m > params["glacier_min_m"] + 150.0 * ragged) & (slope_deg < 30.0)
    cover[glacier] = LandCover.GLACIER
    floor = height_m < height_m.min() + 15.0
    river = floor & (slope_deg < 3.0) & (np.abs(ragged) < 0.35)
    cover[river] = LandCover.WATER
    return cover


def class_table(params: Mapping[str, Any], key: str) -> NDArray[np.float64]:
    """Per-class values of one landcover parameter, indexable by class code."""
    names = {
        LandCover.WATER: "water",
        LandCover.FOREST: "forest",
        LandCover.MEADOW: "meadow",
        LandCover.ROCK: "rock",
        LandCover.GLACIER: "glacier",
    }
    return np.array([params[names[code]][key] for code in LandCover], dtype=np.float64)


def temporal_coherence(gamma_inf: ArrayLike, tau_days: ArrayLike, gap_days: float) -> NDArray[np.float64]:
    """Temporal coherence after ``gap_days``: ``gamma_inf + (1 - gamma_inf) exp(-gap / tau)``.

    Examples
    --------
    >>> float(temporal_coherence(0.2, 12.0, 12.0))
    0.4943035529371539
    """
    gamma_inf = np.asarray(gamma_inf, dtype=np.float64)
    return gamma_inf + (1 - gamma_inf) * np.exp(-gap_days / np.asarray(tau_days, dtype=np.float64))
