"""The truth's detectability rule: a pattern against the clutter and noise around it."""

import math

import numpy as np
import pytest

from massmove.config import resolve_config
from massmove.grid import Grid
from massmove.insar.goldstein import goldstein_filter
from massmove.insar.multilook import multilook
from massmove.simulate.product_noise import product_phase_noise_variance
from massmove.simulate.signal import phase_noise_variance
from massmove.simulate.truth import (
    CLUTTER_MARGIN_MIN_PX,
    contrast_to_clutter,
    extent_polygon,
    unwrap_guided,
    visible_extent,
)

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
    rms, ratio = contrast_to_clutter(2.0, inside, clutter, phase_noise_variance(0.5, 4))
    assert rms == pytest.approx(0.0, abs=1e-2)
    assert ratio == pytest.approx(2.0 / math.sqrt(0.375), rel=1e-3)


def test_a_ramp_across_the_window_is_not_clutter():
    inside = disc(6)
    rows, cols = np.indices(SHAPE)
    # 0.04 rad/px ramp around pi: wrapped inside the window, still a plane
    ramp = np.angle(np.exp(1j * (np.pi + 0.04 * (rows - 60) - 0.03 * (cols - 60))))
    rms, ratio = contrast_to_clutter(2.0, inside, ramp, 0.0)
    assert rms < 1e-6
    assert ratio > 1e3


def test_clutter_of_the_patterns_scale_sets_the_ratio():
    inside = disc(6)
    rows, _ = np.indices(SHAPE)
    amplitude_rad = 0.8
    waves = amplitude_rad * np.sin(2 * np.pi * rows / 6)  # bumps as large as the pattern
    rms, ratio = contrast_to_clutter(2.0, inside, waves, 0.0)
    assert rms == pytest.approx(amplitude_rad / math.sqrt(2), rel=0.05)
    assert ratio == pytest.approx(2.0 / rms, rel=1e-6)
    # the same pattern on noisier ground stands out less
    noise = phase_noise_variance(0.3, 4)
    _, noisy_ratio = contrast_to_clutter(2.0, inside, waves, noise)
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
    small_rms, _ = contrast_to_clutter(2.0, small, clutter, 0.0)
    large_rms, _ = contrast_to_clutter(2.0, large, clutter, 0.0)
    assert small_rms == pytest.approx(0.0, abs=1e-9)
    assert large_rms > 0.2


def test_no_valid_clutter_means_not_visible():
    inside = disc(6)
    rms, ratio = contrast_to_clutter(5.0, inside, np.full(SHAPE, np.nan), phase_noise_variance(0.9, 4))
    assert math.isnan(rms) and ratio == 0.0


def test_product_noise_is_the_engines_filtered_noise_far_below_the_bound_of_its_looks():
    config = resolve_config({})
    interferogram, sensor = config["interferogram"], config["synthetic"]["sensor"]
    coherences = np.array([0.3, 0.5, 0.7, 0.9])
    noise = product_phase_noise_variance(coherences, interferogram, sensor)
    assert np.all(np.diff(noise) < 0) and product_phase_noise_variance(1.0, interferogram, sensor) == 0
    # Goldstein (alpha 1) then 4 looks: a fraction of the Cramer-Rao variance of 4 plain looks
    assert np.all(noise < 0.25 * phase_noise_variance(coherences, 4))
    # an independent measurement with white speckle (the table uses the SLCs' band-limited speckle,
    # whose correlated noise the filter passes more of): same order, the table a little noisier
    rng = np.random.default_rng(11)
    a, b = (
        (rng.standard_normal((256, 256)) + 1j * rng.standard_normal((256, 256))) / math.sqrt(2)
        for _ in range(2)
    )
    secondary = 0.5 * a + math.sqrt(0.75) * b
    phase = np.angle(multilook(goldstein_filter(a * np.conj(secondary)).astype(complex), (1, 4)))
    white = -2 * math.log(abs(np.mean(np.exp(1j * phase))))
    assert white < noise[1] < 2.5 * white
    # without the filter the table is the plain multilook noise, near the bound
    unfiltered = {**interferogram, "goldstein": {**interferogram["goldstein"], "alpha": 0.0}}
    plain = product_phase_noise_variance(0.5, unfiltered, sensor)
    assert 0.9 * phase_noise_variance(0.5, 4) < plain < 2.5 * phase_noise_variance(0.5, 4)


def test_guided_unwrapping_recovers_an_attenuated_multi_fringe_pattern():
    rows, cols = np.indices((60, 60))
    deformation = 9.0 * np.clip(1 - ((rows - 30) ** 2 + (cols - 30) ** 2) / 20.0**2, 0, None)
    filtered = 0.7 * deformation  # the filter attenuates, within pi of the guide everywhere
    unwrapped = unwrap_guided(np.angle(np.exp(1j * filtered)), deformation)
    np.testing.assert_allclose(unwrapped, filtered, atol=1e-9)
    assert unwrapped.max() == pytest.approx(6.3)


def test_the_visible_extent_is_where_the_added_phase_stands_out_holes_filled():
    rows, cols = np.indices((40, 40))
    radius = np.hypot(rows - 20, cols - 20)
    body = radius <= 12
    shown = np.where(body, 3.0 * (1 - (radius / 12) ** 2), 0.0)
    shown[20, 20] = 0.0  # a ring artefact at the centre is not a hole in the pattern
    extent = visible_extent(shown, body, 1.0)
    # 3 (1 - r^2 / 144) >= 1 where r <= 12 sqrt(2/3) = 9.8 px
    assert extent[20, 20] and extent[20, 29] and not extent[20, 31]
    assert extent.sum() == pytest.approx(math.pi * 9.8**2, rel=0.08)
    assert not (extent & ~body).any()
    grid = Grid(0.0, 500.0, 12.5, 40, 40, "EPSG:2056")
    assert extent_polygon(extent, grid).area == pytest.approx(extent.sum() * 12.5**2)
