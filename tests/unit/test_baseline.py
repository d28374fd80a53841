"""The classical baseline detector: fringe rate, its rules on constructed patterns, and the
same tiling, blending and likelihood product as the ensemble."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from massmove.config import resolve_config
from massmove.detect.baseline import BaselineDetector
from massmove.detect.channels import product_channels
from massmove.detect.detector import Detector
from massmove.detect.tiling import likelihood_of_block
from massmove.grid import Grid
from massmove.insar.fringes import fringe_rate
from massmove.io.raster_io import write_cog
from massmove.settings import StageSettings
from massmove.stages.model import segment_stage

PATCH = 64
CENTRE = (70, 90)


def scene(size: int = 160, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Wrapped phase and coherence: a gentle ramp (0.1 rad/px, atmosphere-like), phase noise,
    a local deformation bump of two fringes (radius ~10 px) and a decorrelated strip."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size].astype(float)
    radius2 = (rows - CENTRE[0]) ** 2 + (cols - CENTRE[1]) ** 2
    bump = 4 * np.pi * np.exp(-radius2 / (2 * 7.0**2))
    phase = 0.1 * cols + bump + rng.normal(0, 0.2, (size, size))
    coherence = np.full((size, size), 0.8)
    phase[:, 130:] = rng.uniform(-np.pi, np.pi, (size, size - 130))
    coherence[:, 130:] = 0.1
    return np.angle(np.exp(1j * phase)).astype(np.float32), coherence.astype(np.float32)


def detector(**changes) -> BaselineDetector:
    settings = {"window_px": 5, "min_coherence": 0.35, "excess_rad_per_px": 0.3, "softness_rad_per_px": 0.05}
    return BaselineDetector(patch_px=PATCH, **{**settings, **changes})


def test_fringe_rate_of_a_plane_is_its_gradient_across_the_seam():
    rows, cols = np.mgrid[0:20, 0:30]
    phasor = np.exp(1j * (0.4 * rows - 0.3 * cols + 3.0))  # wraps many times
    np.testing.assert_allclose(fringe_rate(phasor), np.hypot(0.4, 0.3), atol=1e-12)


def test_baseline_finds_the_local_fringes_not_the_ramp_nor_the_decorrelated_strip():
    phase, coherence = scene()
    likelihood = likelihood_of_block(
        np.stack([phase, coherence]), detector=detector(), stride_px=32, batch_size=4
    )
    mean, spread = likelihood
    ring = (slice(CENTRE[0] - 9, CENTRE[0] + 10), slice(CENTRE[1] - 9, CENTRE[1] + 10))
    assert np.nanmean(mean[ring]) > 0.5
    assert np.nanmax(mean[:, :40]) < 0.5  # ramp + noise only, far from the bump
    assert np.nanmax(mean[:, 134:]) == 0.0  # unreadable: coherence 0.1
    np.testing.assert_array_equal(spread[np.isfinite(spread)], 0.0)
    # a higher excess threshold detects less (monotone rule)
    strict = likelihood_of_block(
        np.stack([phase, coherence]), detector=detector(excess_rad_per_px=0.6), stride_px=32, batch_size=4
    )[0]
    assert np.nansum(strict >= 0.5) < np.nansum(mean >= 0.5)


def test_predict_reads_the_normalised_channels_of_any_patch():
    phase, coherence = scene()
    stack, _ = product_channels(phase, coherence, ["cos_phase", "sin_phase", "coherence"])
    window = (slice(CENTRE[0] - 32, CENTRE[0] + 32), slice(CENTRE[1] - 32, CENTRE[1] + 32))
    baseline = detector()
    # the baseline is a Detector with its own identity and no calibration (no fake members)
    assert isinstance(baseline, Detector) and baseline.calibrated_detection() is None
    assert baseline.identity()["detector"] == "baseline" and baseline.precision == "float64"
    mean, spread = baseline.predict(stack[(slice(None), *window)][None])
    assert mean.shape == spread.shape == (1, PATCH, PATCH)
    assert mean[0, 28:36, 28:36].mean() > 0.5 and mean[0, :4, :4].max() < 0.5


@pytest.mark.parametrize("chunk_px", [128, 256])
def test_baseline_likelihood_product_through_the_segment_stage(tmp_path, chunk_px):
    phase, coherence = scene(size=192)
    product = tmp_path / "A088_20180801_20180813.tif"
    grid = Grid(2_600_000, 1_120_000, 12.5, 192, 192, "EPSG:2056")
    write_cog(product, [phase, coherence], ["wrapped_phase", "coherence"], grid, {"pair_id": product.stem})
    config = resolve_config(
        {
            "train": {"patch_px": PATCH},
            "segment": {"chunk_px": chunk_px, "stride_px": 32},
            "model": {"architecture": "baseline", "baseline": {"window_px": 5}},
        }
    )
    out = tmp_path / f"likelihood_{chunk_px}.tif"
    settings = StageSettings.from_config("segment:baseline", config)
    segment_stage(settings, product, [], out, detector="baseline", threads=2)
    with rasterio.open(out) as src:
        mean, spread = src.read()
        tags = src.tags()
    assert tags["detector"] == "baseline" and tags["pair_id"] == "A088_20180801_20180813"
    assert tags["window_px"] == "5" and "checkpoint_digests" not in tags
    expected = likelihood_of_block(
        np.pad(np.stack([phase, coherence]), ((0, 0), (32, 32), (32, 32)), constant_values=np.nan),
        detector=detector(),
        stride_px=32,
        batch_size=7,
    )[:, 32:-32, 32:-32]
    # the same likelihood whatever the chunking: the global patch grid, blended
    np.testing.assert_allclose(mean, expected[0], atol=1e-6)
    np.testing.assert_array_equal(spread, 0.0)
