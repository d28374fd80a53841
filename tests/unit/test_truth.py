"""The truth's detectability rule: a pattern against the clutter and noise around it."""

import math

import numpy as np
import pytest

from massmove.simulate.truth import CLUTTER_MARGIN_MIN_PX, contrast_to_clutter, phase_noise_variance

SHAPE = (120, 120)


def disc(radius_px: float, centre=(60, 60)) -> np.ndarray:
    rows, cols = np.indices(SHAPE)
    return np.hypot(rows - centre[0], cols - centre[1]) <= radius_px


def simulated_phase_variance(coherence: float, looks: int, rng, n: int = 40_000) -> float:
    """Variance of the multilook phase of circular-Gaussian pairs of this coherence."""
    common = (rng.standard_normal((n, looks)) + 1j * rng.standard_normal((n, looks))) / math.sqrt(2)
    own = (rng.standard_normal((n, looks)) + 1j * rng.standard_normal((n, looks))) / math.sqrt(2)
    secondary = coherence * common + math.sqrt(1 - coherence**2) * own
    return float(np.var(np.angle(np.sum(common * np.conj(secondary), axis=1))))


@pytest.mark.parametrize("coherence", [0.5, 0.8])
def test_phase_noise_variance_is_the_bound_the_multilook_phase_approaches(coherence):
    rng = np.random.default_rng(3)
    ratios = [
        simulated_phase_variance(coherence, looks, rng) / phase_noise_variance(coherence, looks)
        for looks in (4, 16, 64)
    ]
    assert all(ratio > 0.97 for ratio in ratios)  # a lower bound (up to sampling error)
    assert ratios[0] > ratios[1] > ratios[2]
    assert ratios[2] == pytest.approx(1.0, abs=0.06)


def test_flat_clutter_leaves_the_phase_noise_even_across_the_wrap():
    inside = disc(6)
    clutter = np.full(SHAPE, np.pi - 1e-3)
    clutter[::2] = -np.pi + 1e-3  # the same phase on both sides of the +-pi seam
    rms, ratio = contrast_to_clutter(2.0, inside, clutter, coherence_median=0.5, looks=4)
    assert rms == pytest.approx(0.0, abs=1e-2)
    assert ratio == pytest.approx(2.0 / math.sqrt(0.375), rel=1e-3)


def test_a_ramp_across_the_window_is_not_clutter():
    inside = disc(6)
    rows, cols = np.indices(SHAPE)
    # 0.04 rad/px ramp around pi: wrapped inside the window, still a plane
    ramp = np.angle(np.exp(1j * (np.pi + 0.04 * (rows - 60) - 0.03 * (cols - 60))))
    rms, ratio = contrast_to_clutter(2.0, inside, ramp, coherence_median=1.0, looks=4)
    assert rms < 1e-6
    assert ratio > 1e3


def test_clutter_of_the_patterns_scale_sets_the_ratio():
    inside = disc(6)
    rows, _ = np.indices(SHAPE)
    amplitude_rad = 0.8
    waves = amplitude_rad * np.sin(2 * np.pi * rows / 6)  # bumps as large as the pattern
    rms, ratio = contrast_to_clutter(2.0, inside, waves, coherence_median=1.0, looks=4)
    assert rms == pytest.approx(amplitude_rad / math.sqrt(2), rel=0.05)
    assert ratio == pytest.approx(2.0 / rms, rel=1e-6)
    # the same pattern on noisier ground stands out less
    _, noisy_ratio = contrast_to_clutter(2.0, inside, waves, coherence_median=0.3, looks=4)
    noise = phase_noise_variance(0.3, 4)
    assert noisy_ratio == pytest.approx(2.0 / math.sqrt(rms**2 + noise), rel=1e-6)
    assert noisy_ratio < ratio


def test_the_window_grows_with_the_body():
    rows, _ = np.indices(SHAPE)
    distance_from_centre = np.hypot(*(np.indices(SHAPE) - 60))
    # clutter only in a ring 20 to 30 px from the centre
    ring = (distance_from_centre >= 20) & (distance_from_centre <= 30)
    clutter = np.where(ring, 0.8 * np.sin(2 * np.pi * rows / 5), 0.0)
    small, large = disc(4), disc(18)
    assert 4 + CLUTTER_MARGIN_MIN_PX < 20  # the small body's window ends before the ring
    small_rms, _ = contrast_to_clutter(2.0, small, clutter, coherence_median=1.0, looks=4)
    large_rms, _ = contrast_to_clutter(2.0, large, clutter, coherence_median=1.0, looks=4)
    assert small_rms == pytest.approx(0.0, abs=1e-9)
    assert large_rms > 0.2


def test_no_valid_clutter_means_not_visible():
    inside = disc(6)
    rms, ratio = contrast_to_clutter(5.0, inside, np.full(SHAPE, np.nan), coherence_median=0.9, looks=4)
    assert math.isnan(rms) and ratio == 0.0
