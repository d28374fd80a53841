"""Coherence estimation with a boxcar window."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage


def boxcar(values: NDArray, window: tuple[int, int]) -> NDArray:
    """Moving average over ``window`` (lines, samples); complex supported, edges reflected."""
    if np.iscomplexobj(values):
        return boxcar(values.real, window) + 1j * boxcar(values.imag, window)
    return ndimage.uniform_filter(np.asarray(values, dtype=np.float64), size=window, mode="reflect")


def coherence(
    reference: NDArray[np.complexfloating],
    secondary: NDArray[np.complexfloating],
    window: tuple[int, int],
    *,
    phase_model_rad: NDArray[np.floating] | None = None,
) -> NDArray[np.float32]:
    """Sample coherence ``|<r s* e^-i model>| / sqrt(<|r|^2> <|s|^2>)`` over a window.

    Parameters
    ----------
    reference, secondary
        Coregistered SLCs.
    window
        (lines, samples), 3 x 10 in the ISSLIDE chain.
    phase_model_rad
        Phase removed before averaging (flat earth and topography), so that fringes the
        model explains do not lower the estimate.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(60, 60)) + 1j * rng.normal(size=(60, 60))
    >>> float(coherence(a, a * np.exp(0.3j), (3, 10)).min()) > 0.999
    True
    """
    product = reference * np.conj(secondary)
    if phase_model_rad is not None:
        product = product * np.exp(-1j * phase_model_rad)
    numerator = np.abs(boxcar(product, window))
    power = boxcar(np.abs(reference) ** 2, window) * boxcar(np.abs(secondary) ** 2, window)
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.where(power > 0, numerator / np.sqrt(power), 0.0)
    return np.clip(result, 0.0, 1.0).astype(np.float32)
