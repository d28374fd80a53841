"""Coregistration: geometric offsets from orbits and DEM, refined by amplitude cross-correlation.

As SNAP's Back-Geocoding followed by a residual-offset refinement: the secondary position of
every reference pixel comes from the orbits and the radar-coded DEM; what the annotation gets
wrong (timing, range delay) is a residual shift measured by incoherent (amplitude)
cross-correlation of windows on a grid, to a small fraction of a pixel.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from massmove.errors import ProcessingError
from massmove.geometry import AcquisitionGeometry, ground_to_radar, radar_to_ground


class Shift(NamedTuple):
    """Shift (lines, samples) that registers a moving image on a reference, and its quality."""

    lines: float
    samples: float
    quality: float


def _upsampled_dft(data: NDArray, region: int, factor: int, offsets: NDArray) -> NDArray:
    """Cross-correlation upsampled by matrix-multiply DFT around a point (Guizar-Sicairos 2008)."""
    for n_items, offset in list(zip(data.shape, offsets, strict=True))[::-1]:
        kernel = (np.arange(region) - offset)[:, None] * np.fft.fftfreq(n_items, factor)
        data = np.tensordot(np.exp(-2j * np.pi * kernel), data, axes=(1, -1))
    return data


def _oversampled_amplitude(patch: NDArray[np.complexfloating], factor: int = 2) -> NDArray[np.float64]:
    """Amplitude of a patch oversampled by FFT zero padding (avoids aliasing the detection)."""
    rows, cols = patch.shape
    spectrum = np.fft.fftshift(np.fft.fft2(patch))
    padded = np.zeros((rows * factor, cols * factor), dtype=np.complex128)
    r0, c0 = (rows * factor - rows) // 2, (cols * factor - cols) // 2
    padded[r0 : r0 + rows, c0 : c0 + cols] = spectrum
    amplitude = np.abs(np.fft.ifft2(np.fft.ifftshift(padded)))
    return amplitude - amplitude.mean()


def estimate_shift(
    reference: NDArray[np.complexfloating], moving: NDArray[np.complexfloating], *, upsample: int = 50
) -> Shift:
    """Sub-pixel shift of ``moving`` relative to ``reference`` by amplitude cross-correlation.

    ``moving(x) ~ reference(x - shift)``: sampling ``moving`` at ``x + shift`` registers it.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> spectrum = np.fft.fft2(rng.normal(size=(64, 64)) + 1j * rng.normal(size=(64, 64)))
    >>> ky, kx = np.meshgrid(np.fft.fftfreq(64), np.fft.fftfreq(64), indexing="ij")
    >>> moved = np.fft.ifft2(spectrum * np.exp(-2j * np.pi * (ky * 0.3 + kx * -1.25)))
    >>> s = estimate_shift(np.fft.ifft2(spectrum), moved)
    >>> round(s.lines, 2), round(s.samples, 2)
    (0.3, -1.25)
    """
    factor = 2
    a = _oversampled_amplitude(reference, factor)
    b = _oversampled_amplitude(moving, factor)
    product = np.fft.fft2(a) * np.conj(np.fft.fft2(b))
    correlation = np.abs(np.fft.ifft2(product))
    peak = np.array(np.unravel_index(np.argmax(correlation), correlation.shape), dtype=np.float64)
    shape = np.array(correlation.shape, dtype=np.float64)
    peak[peak > shape // 2] -= shape[peak > shape // 2]
    quality = float(correlation.max() / max(correlation.mean(), 1e-30))
    peak = np.round(peak * upsample) / upsample
    region = int(np.ceil(upsample * 1.5))
    centre = np.fix(region / 2.0)
    fine = np.abs(_upsampled_dft(product.conj(), region, upsample, centre - peak * upsample))
    best = np.array(np.unravel_index(np.argmax(fine), fine.shape), dtype=np.float64) - centre
    lines, samples = -(peak + best / upsample) / factor
    return Shift(float(lines), float(samples), quality)


def geometric_coordinates(
    reference: AcquisitionGeometry, secondary: AcquisitionGeometry, height_m: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Secondary (line, sample) of every reference pixel, from orbits and radar-coded heights."""
    line, sample = np.mgrid[0 : reference.n_lines, 0 : reference.n_samples].astype(np.float64)
    east, north = radar_to_ground(reference, line, sample, height_m)
    return ground_to_radar(secondary, east, north, height_m)


def resample(slc: NDArray[np.complexfloating], line: NDArray, sample: NDArray) -> NDArray[np.complex64]:
    """Cubic-spline interpolation of a complex image at fractional (line, sample); 0 outside."""
    coords = np.stack([line, sample])
    out = np.empty(line.shape, dtype=np.complex64)
    valid = np.isfinite(line) & np.isfinite(sample)
    coords = np.where(valid, coords, -1e6)
    for part, target in ((slc.real, "real"), (slc.imag, "imag")):
        values = ndimage.map_coordinates(part.astype(np.float32), coords, order=3, mode="constant", cval=0.0)
        setattr(out, target, values)
    return out


def residual_shift(
    reference: NDArray[np.complexfloating],
    secondary_resampled: NDArray[np.complexfloating],
    *,
    window: tuple[int, int],
    grid: tuple[int, int],
    min_quality: float,
) -> tuple[Shift, int]:
    """Median shift over a grid of correlation windows, and how many windows were used."""
    rows, cols = reference.shape
    win_r, win_c = min(window[0], rows), min(window[1], cols)
    centres_r = np.linspace(win_r // 2, rows - win_r // 2 - 1, grid[0]).astype(int)
    centres_c = np.linspace(win_c // 2, cols - win_c // 2 - 1, grid[1]).astype(int)
    shifts = []
    for r in centres_r:
        for c in centres_c:
            rs = slice(r - win_r // 2, r - win_r // 2 + win_r)
            cs = slice(c - win_c // 2, c - win_c // 2 + win_c)
            a, b = reference[rs, cs], secondary_resampled[rs, cs]
            if not (np.abs(a).mean() > 0 and np.abs(b).min() > 0):
                continue
            shift = estimate_shift(a, b)
            if shift.quality >= min_quality and abs(shift.lines) < 2 and abs(shift.samples) < 2:
                shifts.append(shift)
    if not shifts:
        raise ProcessingError(
            f"coregistration: no correlation window of {window} reached quality {min_quality}; "
            "the pair may not overlap or may be fully decorrelated"
        )
    values = np.array([(s.lines, s.samples, s.quality) for s in shifts])
    median = np.median(values, axis=0)
    return Shift(float(median[0]), float(median[1]), float(median[2])), len(shifts)
