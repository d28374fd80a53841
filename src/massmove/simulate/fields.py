"""Gaussian random fields with power-law spectra (terrain, turbulence, DEM error)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def power_law_field(
    shape: tuple[int, int],
    spacing_m: float,
    exponent: float,
    rng: np.random.Generator,
    *,
    outer_scale_m: float | None = None,
) -> NDArray[np.float64]:
    """Zero-mean, unit-variance field whose power spectrum falls as ``(k^2 + k0^2)^(-exponent/2)``.

    Parameters
    ----------
    shape
        (rows, columns).
    spacing_m
        Grid spacing.
    exponent
        Spectral exponent (8/3 for Kolmogorov turbulence, 2 H + 2 for a fractal surface).
    rng
        Random generator.
    outer_scale_m
        Scale above which the spectrum flattens; the grid size by default.
    """
    rows, cols = shape
    ky = np.fft.fftfreq(rows, d=spacing_m)
    kx = np.fft.rfftfreq(cols, d=spacing_m)
    k2 = ky[:, None] ** 2 + kx[None, :] ** 2
    k0 = 1.0 / (outer_scale_m if outer_scale_m else max(rows, cols) * spacing_m)
    amplitude = (k2 + k0 * k0) ** (-exponent / 4.0)
    amplitude[0, 0] = 0.0
    noise = rng.standard_normal(amplitude.shape) + 1j * rng.standard_normal(amplitude.shape)
    field = np.fft.irfft2(noise * amplitude, s=shape)
    field -= field.mean()
    std = field.std()
    return field / std if std > 0 else field


def domain_variance_fraction(
    shape: tuple[int, int], spacing_m: float, exponent: float, outer_scale_m: float
) -> float:
    """Share of the variance of an unbounded power-law process that a finite grid holds.

    A field normalised on a small grid would otherwise carry the whole variance at the scales
    the grid resolves, overstating short-scale fluctuations.
    """
    rows, cols = shape
    k0 = 1.0 / outer_scale_m
    ky = np.fft.fftfreq(rows, d=spacing_m)
    kx = np.fft.fftfreq(cols, d=spacing_m)
    k2 = ky[:, None] ** 2 + kx[None, :] ** 2
    density = (k2 + k0 * k0) ** (-exponent / 2.0)
    density[0, 0] = 0.0
    domain = density.sum() / (rows * spacing_m * cols * spacing_m)
    total = np.pi * (k0 * k0) ** (1.0 - exponent / 2.0) / (exponent / 2.0 - 1.0)
    return float(min(1.0, domain / total))
