"""The phase-domain generator's speckle: coherence, phase, power and band limits as asked."""

import math

import numpy as np
import pytest

from massmove.simulate.phase_domain import band_limited_speckle, speckle_pair
from massmove.simulate.signal import ExpectedSignal


def test_band_limited_speckle_has_unit_power_and_the_slc_band(default_config):
    sensor = default_config["synthetic"]["sensor"]
    field = band_limited_speckle(np.random.default_rng(3), (512, 512), sensor)
    assert np.mean(np.abs(field) ** 2) == pytest.approx(1.0, abs=0.02)
    spectrum = np.abs(np.fft.fft2(field)) ** 2
    azimuth = np.abs(np.fft.fftfreq(512))
    outside = azimuth > sensor["azimuth_bandwidth_fraction"] / 2 + 0.01
    inside = azimuth < sensor["azimuth_bandwidth_fraction"] / 4
    assert spectrum[outside].mean() < 1e-6 * spectrum[inside].mean()
    # fully developed speckle: intensity std equals its mean
    intensity = np.abs(field) ** 2
    assert intensity.std() / intensity.mean() == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize(("coherence", "phase_rad"), [(0.3, -2.0), (0.6, 1.0), (0.9, 3.0)])
def test_speckle_pair_carries_the_expected_signal(default_config, coherence, phase_rad):
    shape = (400, 400)
    power = np.full(shape, 0.2)
    moving = power * coherence * np.exp(1j * phase_rad)
    signal = ExpectedSignal(moving=moving, static=moving, power=power)
    reference, secondary = speckle_pair(
        signal, np.random.default_rng(7), default_config["synthetic"]["sensor"]
    )
    cross = np.mean(reference.astype(np.complex128) * np.conj(secondary))
    estimate = abs(cross) / math.sqrt(np.mean(np.abs(reference) ** 2) * np.mean(np.abs(secondary) ** 2))
    assert estimate == pytest.approx(coherence, abs=0.02)
    assert np.angle(cross * np.exp(-1j * phase_rad)) == pytest.approx(0.0, abs=0.03)
    assert np.mean(np.abs(reference) ** 2) == pytest.approx(0.2, rel=0.05)
    assert np.mean(np.abs(secondary) ** 2) == pytest.approx(0.2, rel=0.05)
