"""Tropospheric delay of one acquisition: height-correlated (stratified) plus turbulent.

As in public synthetic interferogram generators (e.g. SyInterferoPy): the stratified part is
a random coefficient per acquisition times height, the turbulent part a Gaussian field with a
power-law spectrum (8/3 for Kolmogorov turbulence) flattening beyond an outer scale.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from massmove.grid import Grid
from massmove.simulate.fields import domain_variance_fraction, power_law_field


def tropospheric_delay(
    grid: Grid, height_m: NDArray[np.float64], params: Mapping[str, Any], rng: np.random.Generator
) -> NDArray[np.float32]:
    """One-way slant delay in metres (only differences between acquisitions matter).

    ``turbulence_rms_m`` is the RMS of the turbulent process over its outer scale; a scene
    smaller than that holds only the share of the variance its scales carry.
    """
    coefficient_m_per_m = rng.normal(0.0, params["stratified_std_m_per_km"]) / 1000.0
    stratified = coefficient_m_per_m * (height_m - height_m.mean())
    exponent, outer = params["turbulence_exponent"], params["turbulence_outer_scale_m"]
    share = domain_variance_fraction(grid.shape, grid.spacing_m, exponent, outer)
    turbulent = (
        params["turbulence_rms_m"]
        * math.sqrt(share)
        * power_law_field(grid.shape, grid.spacing_m, exponent, rng, outer_scale_m=outer)
    )
    return (stratified + turbulent).astype(np.float32)
