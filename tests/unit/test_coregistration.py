import numpy as np
import pytest

from massmove.insar.coregistration import estimate_shift, resample, residual_shift


def band_limited_speckle(shape, seed, fractions=(0.67, 0.88)):
    """Complex speckle with the azimuth/range bandwidths of a Sentinel-1 IW SLC."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.fft2(rng.normal(size=shape) + 1j * rng.normal(size=shape))
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.fftfreq(shape[1])[None, :]
    spectrum *= (np.abs(fy) <= fractions[0] / 2) & (np.abs(fx) <= fractions[1] / 2)
    return spectrum


def shifted(spectrum, lines, samples):
    fy = np.fft.fftfreq(spectrum.shape[0])[:, None]
    fx = np.fft.fftfreq(spectrum.shape[1])[None, :]
    return np.fft.ifft2(spectrum * np.exp(-2j * np.pi * (fy * lines + fx * samples)))


@pytest.mark.parametrize(("lines", "samples"), [(0.37, -0.21), (-0.08, 0.44), (1.3, -1.7), (0.0, 0.0)])
def test_recovers_imposed_offset_to_better_than_005_pixel(lines, samples):
    spectrum = band_limited_speckle((128, 256), seed=3)
    reference = np.fft.ifft2(spectrum)
    moving = shifted(spectrum, lines, samples)
    shift = estimate_shift(reference, moving)
    assert abs(shift.lines - lines) < 0.05
    assert abs(shift.samples - samples) < 0.05


def test_recovers_offset_under_decorrelation_with_a_window_grid():
    rng = np.random.default_rng(5)
    spectrum = band_limited_speckle((512, 1024), seed=4)
    reference = np.fft.ifft2(spectrum)
    noise = np.fft.ifft2(band_limited_speckle((512, 1024), seed=6))
    moving = 0.7 * shifted(spectrum, 0.23, -0.31) + np.sqrt(1 - 0.49) * noise
    moving *= np.exp(1j * rng.uniform(0, 2 * np.pi))  # a constant phase changes nothing
    shift, used = residual_shift(reference, moving, window=(64, 256), grid=(6, 4), min_quality=3.0)
    assert used >= 20
    assert abs(shift.lines - 0.23) < 0.05
    assert abs(shift.samples + 0.31) < 0.05


def test_resampling_registers_the_moving_image():
    spectrum = band_limited_speckle((128, 256), seed=8)
    reference = np.fft.ifft2(spectrum)
    moving = shifted(spectrum, 0.4, -0.3)
    line, sample = np.mgrid[0:128, 0:256].astype(float)
    registered = resample(moving, line + 0.4, sample - 0.3)
    inner = (slice(8, -8), slice(8, -8))
    a, b = reference[inner], registered[inner]
    coherence = abs(np.vdot(a, b)) / np.sqrt(np.vdot(a, a).real * np.vdot(b, b).real)
    assert coherence > 0.99
