"""Goldstein-Werner adaptive phase filter (as SNAP's Goldstein Phase Filtering operator)."""

from __future__ import annotations

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from scipy import ndimage


def goldstein_filter(
    interferogram: NDArray[np.complexfloating], *, alpha: float = 1.0, fft_size: int = 64, window: int = 3
) -> NDArray[np.complex64]:
    """Filter a complex interferogram patch-wise in the frequency domain.

    Each ``fft_size`` patch (half-overlapping) has its spectrum multiplied by its own
    smoothed amplitude spectrum to the power ``alpha``; patches are blended with sin^2 weights
    that sum to one, so no seams show. ``alpha = 0`` returns the input.

    Parameters
    ----------
    interferogram
        Complex interferogram (lines, samples); NaN is treated as zero signal.
    alpha
        Filter exponent in [0, 1].
    fft_size
        Patch size in pixels.
    window
        Size of the moving average smoothing the amplitude spectrum.
    """
    data = np.nan_to_num(np.asarray(interferogram, dtype=np.complex64))
    if alpha == 0:
        return data
    step = fft_size // 2
    rows, cols = data.shape
    pad_rows = (-(rows + 2 * step - fft_size) % step) + 2 * step
    pad_cols = (-(cols + 2 * step - fft_size) % step) + 2 * step
    padded = np.pad(data, ((step, pad_rows - step), (step, pad_cols - step)))
    patches = sliding_window_view(padded, (fft_size, fft_size))[::step, ::step]
    # single precision throughout (the data are complex64), on every core
    spectra = scipy.fft.fft2(patches, workers=-1)
    amplitude = np.abs(spectra)
    smoothed = ndimage.uniform_filter(amplitude, size=(1, 1, window, window), mode="wrap")
    peak = smoothed.max(axis=(2, 3), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(peak > 0, (smoothed / peak) ** alpha, 0.0)
    filtered = scipy.fft.ifft2(spectra * weight.astype(np.float32), workers=-1).astype(np.complex64)
    taper = np.sin(np.pi * (np.arange(fft_size) + 0.5) / fft_size) ** 2
    blend = (taper[:, None] * taper[None, :]).astype(np.float32)
    out = np.zeros(padded.shape, dtype=np.complex64)
    norm = np.zeros(padded.shape, dtype=np.float32)
    for i in range(patches.shape[0]):
        for j in range(patches.shape[1]):
            r, c = i * step, j * step
            out[r : r + fft_size, c : c + fft_size] += filtered[i, j] * blend
            norm[r : r + fft_size, c : c + fft_size] += blend
    out /= np.where(norm > 0, norm, 1.0)
    return out[step : step + rows, step : step + cols]
