"""Splatting point values onto a grid with a cubic convolution kernel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def cubic_weights(fraction: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    """Keys cubic convolution weights (a = -0.5) of the taps at -1, 0, 1, 2 around a point."""
    weights = []
    for tap in (-1, 0, 1, 2):
        x = np.abs(fraction - tap)
        near = (1.5 * x - 2.5) * x * x + 1.0
        far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
        weights.append(np.where(x <= 1.0, near, np.where(x < 2.0, far, 0.0)))
    return weights


def accumulate(
    target: NDArray[np.complex128],
    line: NDArray[np.float64],
    sample: NDArray[np.float64],
    values: NDArray,
    oversampling: int,
) -> None:
    """Add point contributions to an oversampled grid (in place) with a cubic convolution kernel.

    Each point is spread over 4 x 4 bins with Keys cubic weights. Rounding to the nearest bin
    would move points by up to half a bin, differently in every acquisition (biasing
    coregistration and decorrelating the speckle); bilinear weights keep the centroid but
    damp the upper band by an amount that again differs between acquisitions. The cubic
    kernel is flat enough over the processed band to keep two acquisitions of the same
    scatterers coherent to better than one per cent.
    """
    fl = line * oversampling
    fs = sample * oversampling
    rows, cols = target.shape
    ok = (fl >= 1) & (fl < rows - 2) & (fs >= 1) & (fs < cols - 2) & (values != 0)
    if not ok.any():
        return
    fl, fs, values = fl[ok], fs[ok], values[ok]
    l0 = np.floor(fl).astype(np.int64)
    s0 = np.floor(fs).astype(np.int64)
    weights_l = cubic_weights(fl - l0)
    weights_s = cubic_weights(fs - s0)
    first, last = int(l0.min()) - 1, int(l0.max()) + 2
    base = (l0 - first) * cols + s0
    size = (last - first + 1) * cols
    band = target[first : last + 1].reshape(-1)
    is_complex = np.iscomplexobj(values)
    for dl, wl in zip((-1, 0, 1, 2), weights_l, strict=True):
        for ds, ws in zip((-1, 0, 1, 2), weights_s, strict=True):
            flat = base + dl * cols + ds
            weighted = values * (wl * ws)
            band += np.bincount(flat, weights=weighted.real, minlength=size)
            if is_complex:
                band += 1j * np.bincount(flat, weights=weighted.imag, minlength=size)


def accumulate_rows(
    target: NDArray[np.complex128],
    row_line: NDArray[np.float64],
    sample: NDArray[np.float64],
    values: NDArray,
    oversampling: int,
) -> None:
    """As :func:`accumulate`, for points laid out in rows that each sit on one line.

    Scatterer rows run across track, so every point of a row has the same azimuth
    coordinate: the range weights are applied per point (4 taps) and the azimuth weights
    per row, as a small matrix product. Four times fewer scattered additions than
    :func:`accumulate`, with the same result.

    Parameters
    ----------
    target
        Oversampled grid (lines, samples), updated in place.
    row_line
        Fractional line of every row, shape ``(rows,)``.
    sample
        Fractional sample of every point, shape ``(rows, columns)``.
    values
        Point values, shape ``(rows, columns)``.
    oversampling
        Bins per line and per sample.
    """
    accumulate_rows_many([target], row_line, sample, [values], oversampling)


def accumulate_rows_many(
    targets: Sequence[NDArray[np.complex128]],
    row_line: NDArray[np.float64],
    sample: NDArray[np.float64],
    values: Sequence[NDArray],
    oversampling: int,
) -> None:
    """:func:`accumulate_rows` of several value sets at the same points into their own grids
    (all of one shape): the positions and kernel weights are computed once."""
    n_lines, cols = targets[0].shape
    fl = row_line * oversampling
    row_ok = (fl >= 1) & (fl < n_lines - 2)
    if not row_ok.any():
        return
    fl, fs = fl[row_ok], sample[row_ok] * oversampling
    kept = [v[row_ok] for v in values]
    n_rows = fl.size
    ok = (fs >= 1) & (fs < cols - 2) & np.logical_or.reduce([v != 0 for v in kept])
    rows = np.broadcast_to(np.arange(n_rows)[:, None], fs.shape)[ok]
    fs = fs[ok]
    s0 = np.floor(fs).astype(np.int64)
    base = rows * cols + s0
    size = n_rows * cols
    weights_s = cubic_weights(fs - s0)
    l0 = np.floor(fl).astype(np.int64)
    first, last = int(l0.min()) - 1, int(l0.max()) + 2
    mixing = np.zeros((last - first + 1, n_rows))
    for dl, wl in zip((-1, 0, 1, 2), cubic_weights(fl - l0), strict=True):
        np.add.at(mixing, (l0 + dl - first, np.arange(n_rows)), wl)
    for target, point_values in zip(targets, (v[ok] for v in kept), strict=True):
        per_row = np.zeros(size, dtype=np.complex128)
        for ds, ws in zip((-1, 0, 1, 2), weights_s, strict=True):
            weighted = point_values * ws
            per_row += np.bincount(base + ds, weights=weighted.real, minlength=size)
            if np.iscomplexobj(weighted):
                per_row += 1j * np.bincount(base + ds, weights=weighted.imag, minlength=size)
        target[first : last + 1] += mixing @ per_row.reshape(n_rows, cols)
