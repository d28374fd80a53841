"""The expected signal of a synthetic pair: what the ground would give an ideal processor with
infinitely many speckle realisations, before any rule judges what is visible.

* :func:`expected_interferogram_radar`: ``E[s_ref conj(s_sec)]`` and the expected power of
  every reference pixel (geometry of the true terrain, deformation and atmospheric delay
  difference, summed over the pixel's scatterers through the SLC impulse response), with and
  without the movements' deformation.
* :func:`deformation_phase`: the movements' unwrapped phase at product pixels.
* :func:`background_coherence`: what the ground keeps when nothing moves (land cover over the
  baseline, thermal noise); :func:`phase_noise_variance`: the phase variance coherence implies.
* :func:`product_filter`: the product's filter and looks, applied to an expected signal as the
  engine applies them to data.

The truth's rules (:mod:`massmove.simulate.truth`) and the phase-domain generator
(:mod:`massmove.simulate.phase_domain`) build on these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from massmove.geometry import line_of_sight
from massmove.grid import Grid, sample_nearest, sample_on_grid
from massmove.insar.goldstein import goldstein_filter
from massmove.insar.multilook import multilook
from massmove.pairs import Pair
from massmove.settings import StageSettings
from massmove.simulate.ground import Ground
from massmove.simulate.imaging import (
    TrackContext,
    acquisition_delay,
    hamming_response,
    motion_phase,
    static_phase,
)
from massmove.simulate.landcover import class_table, temporal_coherence
from massmove.simulate.scatterers import iterate_chunks
from massmove.splat import accumulate_rows_many


class ExpectedSignal(NamedTuple):
    """Expected interferograms and power of every reference pixel (SLC grid)."""

    moving: NDArray[np.complex128]  # E[s_ref conj(s_sec)] with the movements' deformation
    static: NDArray[np.complex128]  # the same without it (what the ground shows when nothing moves)
    power: NDArray[np.float64]  # expected power, thermal noise included


def expected_interferogram_radar(
    config: StageSettings,
    ground: Ground,
    context: TrackContext,
    pair: Pair,
    *,
    oversampling: int | None = None,
) -> ExpectedSignal:
    """Expected interferogram ``E[s_ref conj(s_sec)]`` and expected power of every reference pixel.

    The expected interferogram sums, over the scatterers of each pixel, power times temporal
    coherence times the deterministic phase difference (geometry on the true terrain,
    deformation, atmosphere): layover mixing, shadow and the phase spread inside the cell
    enter as they do in the data. The static one leaves the deformation phase out (the
    motion's decorrelation stays), so that what the deformation adds can be told apart after
    the product's non-linear filter. ``oversampling`` (default
    ``synthetic.scatterers.oversampling``) is that of the grid the scatterers are gathered on
    before the impulse response; 1 gathers them on the SLC grid itself.
    """
    synthetic = config["synthetic"]
    if oversampling is None:
        oversampling = int(synthetic["scatterers"]["oversampling"])
    ref, sec = pair.reference, pair.secondary
    orbit_ref, orbit_sec = context.orbits[ref.scene_id], context.orbits[sec.scene_id]
    shape = (orbit_ref.annotated.n_lines * oversampling, orbit_ref.annotated.n_samples * oversampling)
    numerator = np.zeros(shape, dtype=np.complex128)
    static = np.zeros(shape, dtype=np.complex128)
    power = np.zeros(shape, dtype=np.complex128)
    delay_ref = acquisition_delay(config, ground, ref)
    delay_sec = acquisition_delay(config, ground, sec)
    gap_days = (sec.start_utc - ref.start_utc).total_seconds() / 86400.0
    for chunk in iterate_chunks(config, ground, context.layout, context.fields, oversampling=oversampling):
        line, sample, static_ref = static_phase(context, chunk, orbit_ref.true, delay_ref)
        _, _, static_sec = static_phase(context, chunk, orbit_sec.true, delay_sec)
        motion = motion_phase(context, chunk, orbit_ref.true, ref) - motion_phase(
            context, chunk, orbit_sec.true, sec
        )
        temporal = chunk.power * temporal_coherence(chunk.gamma_inf, chunk.tau_days, gap_days)
        difference = static_ref - static_sec
        accumulate_rows_many(
            (numerator, static, power),
            line[:, 0],
            sample,
            (
                temporal * np.exp(-1j * (difference + motion)),
                temporal * np.exp(-1j * difference),
                chunk.power.astype(np.complex128),
            ),
            oversampling,
        )
    sensor = synthetic["sensor"]
    kernels = [
        power_response(oversampling, sensor[f"{axis}_bandwidth_fraction"], sensor["window_coefficient"])
        for axis in ("azimuth", "range")
    ]

    def to_pixels(values: NDArray) -> NDArray:
        # what each SLC pixel gathers: the power of its impulse response around it, computed
        # on the SLC samples only (each axis decimated right after its convolution)
        for axis, kernel in enumerate(kernels):
            parts = [ndimage.convolve1d(part, kernel, axis=axis) for part in (values.real, values.imag)]
            keep = (
                (slice(None, None, oversampling), slice(None))
                if axis == 0
                else (slice(None), slice(None, None, oversampling))
            )
            values = parts[0][keep] + 1j * parts[1][keep]
        return values

    noise_power = 10 ** (synthetic["sensor"]["nesz_db"] / 10)
    return ExpectedSignal(to_pixels(numerator), to_pixels(static), to_pixels(power).real + noise_power)


def power_response(
    oversampling: int, bandwidth: float, coefficient: float, half_width_px: int = 6
) -> NDArray:
    """|h|^2 of the SLC impulse response along one axis, on the oversampled grid, summing to 1."""
    size = 64 * oversampling
    frequency = np.fft.fftfreq(size) * oversampling  # cycles per SLC sample
    impulse = np.fft.fftshift(np.fft.ifft(hamming_response(frequency, bandwidth, coefficient)))
    power = np.abs(impulse) ** 2
    centre = size // 2
    half = half_width_px * oversampling
    kernel = power[centre - half : centre + half + 1]
    return kernel / kernel.sum()


def deformation_phase(ground: Ground, context: TrackContext, pair: Pair, grid: Grid) -> NDArray[np.float64]:
    """Unwrapped deformation phase of the pair at the product pixel centres (true heights)."""
    ref_geom = context.orbits[pair.reference.scene_id].annotated
    east, north = grid.centres()
    height = sample_on_grid(ground.grid, ground.height_m, east, north)
    los = line_of_sight(ref_geom, east, north, height)
    velocity = np.stack(
        [sample_on_grid(ground.grid, ground.velocity_m_per_yr[i], east, north) for i in range(3)]
    )
    years = context.years_since_epoch(pair.secondary) - context.years_since_epoch(pair.reference)
    toward = sum(velocity[i] * los[i] for i in range(3))
    return np.nan_to_num(4 * math.pi / ref_geom.wavelength_m * (-toward * years))


def background_coherence(
    config: StageSettings, ground: Ground, context: TrackContext, pair: Pair, grid: Grid
) -> NDArray[np.float64]:
    """Coherence the ground would keep without moving: land cover over the baseline, thermal noise."""
    cover = config["synthetic"]["landcover"]
    east, north = grid.centres()
    cls = sample_nearest(ground.grid, ground.landcover, east, north, fill=0)
    gap_days = (pair.secondary.start_utc - pair.reference.start_utc).total_seconds() / 86400.0
    temporal = temporal_coherence(
        class_table(cover, "gamma_inf")[cls], class_table(cover, "tau_days")[cls], gap_days
    )
    cos_local = np.clip(sample_on_grid(ground.grid, context.fields.cos_local_incidence, east, north), 0, None)
    _, cos_inc = context.layout.incidence_sin_cos
    snr = (
        10 ** (class_table(cover, "sigma0_db")[cls] / 10)
        * np.nan_to_num(cos_local)
        / cos_inc
        / (10 ** (config["synthetic"]["sensor"]["nesz_db"] / 10))
    )
    return temporal * snr / (1 + snr)


def phase_noise_variance(coherence: NDArray | float, looks: float) -> NDArray | float:
    """Cramer-Rao bound of the interferometric phase variance, ``(1 - g^2) / (2 L g^2)`` in rad^2.

    Examples
    --------
    >>> round(float(phase_noise_variance(0.5, 4)), 3)
    0.375
    """
    gamma = np.clip(coherence, 1e-3, 1.0)
    return (1 - gamma**2) / (2 * looks * gamma**2)


def product_filter(
    interferogram: NDArray[np.complexfloating], params: Mapping[str, Any]
) -> NDArray[np.complex128]:
    """The product's filter and looks on a radar-geometry interferogram (Goldstein, multilook)."""
    gold = params["goldstein"]
    looks = (params["multilook"]["azimuth"], params["multilook"]["range"])
    filtered = goldstein_filter(
        interferogram, alpha=gold["alpha"], fft_size=gold["fft_size"], window=gold["window"]
    )
    return multilook(filtered.astype(np.complex128), looks)
