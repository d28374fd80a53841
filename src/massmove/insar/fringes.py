"""Local fringe rate of a wrapped interferogram and what of it stands out of its surroundings.

Shared by the classical baseline detector (its likelihood) and training (ranking the hard
negatives: coherent clutter a detector confuses with motion).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage


def fringe_rate(phasor: NDArray[np.complex128]) -> NDArray[np.float64]:
    """Phase gradient magnitude of a phasor field, radians per pixel (edges repeated).

    Examples
    --------
    >>> ramp = np.exp(1j * 0.5 * np.arange(6))[None, :].repeat(3, axis=0)
    >>> bool(np.allclose(fringe_rate(ramp), 0.5))
    True
    """
    rows = np.abs(np.angle(phasor[1:, :] * np.conj(phasor[:-1, :])))
    cols = np.abs(np.angle(phasor[:, 1:] * np.conj(phasor[:, :-1])))
    rows = np.concatenate([rows, rows[-1:, :]], axis=0)
    cols = np.concatenate([cols, cols[:, -1:]], axis=1)
    return np.hypot(rows, cols)


def fringe_excess(
    phasor: NDArray[np.complex128],
    coherence: NDArray[np.float64],
    valid: NDArray[np.bool_],
    *,
    window_px: int,
    min_coherence: float,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Local fringe rate in excess of its median over the readable pixels, and the readable mask.

    The fringe rate and the coherence are smoothed over ``window_px``; readable pixels are
    valid ones whose smoothed coherence reaches ``min_coherence`` (decorrelated ground has a
    high but meaningless fringe rate). The excess is what stands out of the atmospheric and
    topographic background of the same window of data; it is 0 where nothing is readable.

    Examples
    --------
    >>> rows, cols = np.indices((64, 64))
    >>> bump = 6.0 * np.exp(-((rows - 32) ** 2 + (cols - 32) ** 2) / 40.0)
    >>> excess, readable = fringe_excess(np.exp(1j * bump), np.ones((64, 64)), np.ones((64, 64), bool),
    ...                                  window_px=5, min_coherence=0.3)
    >>> bool(excess[32, 28] > 0.5 > abs(excess[5, 5]))
    True
    """
    rate = ndimage.uniform_filter(fringe_rate(phasor), window_px)
    smoothed = ndimage.uniform_filter(np.where(valid, coherence, 0.0), window_px)
    readable = valid & (smoothed >= min_coherence)
    if not readable.any():
        return np.zeros(phasor.shape), readable
    return rate - np.median(rate[readable]), readable
