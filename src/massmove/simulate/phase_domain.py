"""Phase-domain training scenes: the SLC simulator's physics without focusing SLCs.

The SLC path focuses every acquisition from decorrelating scatterers (:mod:`imaging`) and then
computes each pair's expected interferogram once more for the truth (:mod:`truth`). A pair's
statistics are fixed by that expected signal: its power, and ``E[s_ref conj(s_sec)]``, whose
modulus over the power is the coherence (temporal by land cover and the movements' own
disruption, layover mixing, shadow, the phase spread inside the impulse response, thermal
noise) and whose phase is the deterministic one (true terrain and orbits, line-of-sight
deformation, the acquisitions' tropospheric delays; the DEM error stays after the processor's
flattening). This generator computes that expected signal with the same code, on fewer
scatterers (``train.phase_domain.scatterer_spacing_m``, about two per SLC cell each way) gathered
on the SLC grid itself, draws a pair of correlated circular-Gaussian speckle fields with the
simulator's band limits at SLC spacing carrying that coherence and phase, and runs the built-in
engine's own chain after coregistration (:func:`massmove.insar.engine.product_from_coregistered`:
coherence estimate, flattening with the DEM's model phase, Goldstein filter, multilook,
geocoding). The labels come from the same truth rules, on the same expected signal
(:func:`massmove.simulate.truth.truth_from_signal`).

What it leaves out, by construction: the coregistration of two independently focused SLCs
(orbit misregistration up to ``synthetic.orbit.misregistration_max_px`` and the residual of
its estimate), and the speckle shared by pairs that share an acquisition (each pair draws its
own). ``benchmarks/generator_equivalence.py`` measures both generators side by side.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import scipy.fft
from numpy.typing import NDArray

from massmove.config import deep_merge
from massmove.grid import Grid
from massmove.insar.engine import model_phase, pair_geometry_tags, product_from_coregistered
from massmove.pairs import Pair
from massmove.settings import StageSettings
from massmove.simulate.ground import Ground
from massmove.simulate.imaging import TrackContext, complex_normal, hamming_response
from massmove.simulate.seeds import stream
from massmove.simulate.signal import ExpectedSignal, expected_interferogram_radar
from massmove.simulate.truth import PairTruth, truth_from_signal

log = logging.getLogger(__name__)


class PhaseDomainPair(NamedTuple):
    """A pair made by the phase-domain generator: the product and its truth."""

    wrapped_phase_rad: NDArray[np.float32]
    coherence: NDArray[np.float32]
    geometry_tags: dict[str, Any]
    truth: PairTruth


def phase_domain_config(config: StageSettings, spacing_m: Sequence[float]) -> StageSettings:
    """The scene's config with the phase-domain generator's scatterer spacing (across, along)."""
    overrides = {"synthetic": {"scatterers": {"spacing_m": [float(v) for v in spacing_m]}}}
    if isinstance(config, StageSettings):
        return config.with_values(overrides)
    # a plain config (tests, notebooks): every key, unchecked
    return StageSettings.of("simulate", deep_merge(config, overrides))


def band_limited_speckle(
    rng: np.random.Generator, shape: tuple[int, int], sensor: Mapping[str, Any]
) -> NDArray[np.complex128]:
    """Circular-Gaussian speckle of unit power with the SLCs' Hamming-weighted band limits.

    Parameters
    ----------
    rng
        Random stream.
    shape
        (lines, samples) of the SLC grid.
    sensor
        The config's ``synthetic.sensor`` (azimuth and range bandwidth fractions, window).

    Examples
    --------
    >>> from massmove.config import resolve_config
    >>> sensor = resolve_config({})["synthetic"]["sensor"]
    >>> field = band_limited_speckle(np.random.default_rng(0), (256, 256), sensor)
    >>> round(float(np.mean(np.abs(field) ** 2)), 1)
    1.0
    """
    rows, cols = shape
    spectrum = scipy.fft.fft2(complex_normal(rng, shape).astype(np.complex128), workers=-1)
    coefficient = float(sensor["window_coefficient"])
    response_y = hamming_response(
        np.fft.fftfreq(rows), float(sensor["azimuth_bandwidth_fraction"]), coefficient
    )
    response_x = hamming_response(
        np.fft.fftfreq(cols), float(sensor["range_bandwidth_fraction"]), coefficient
    )
    spectrum *= response_y[:, None] * response_x[None, :]
    gain = float(np.mean(response_y**2) * np.mean(response_x**2))
    return scipy.fft.ifft2(spectrum, workers=-1) / math.sqrt(gain)


def speckle_pair(
    signal: ExpectedSignal, rng: np.random.Generator, sensor: Mapping[str, Any]
) -> tuple[NDArray[np.complex64], NDArray[np.complex64]]:
    """A coregistered SLC pair whose statistics are the expected signal's.

    ``reference = sqrt(P) a`` and ``secondary = sqrt(P) (g a + sqrt(1 - g^2) b) exp(-i psi)``
    with ``a``, ``b`` independent band-limited speckle, ``P`` the expected power (thermal noise
    included), ``g = |E[s_ref conj(s_sec)]| / P`` and ``psi`` its phase: so that
    ``E[reference conj(secondary)] = E[s_ref conj(s_sec)]`` and ``E|reference|^2 = P``.
    """
    power = np.maximum(signal.power, 0.0)
    gamma = np.clip(np.abs(signal.moving) / np.where(power > 0, power, 1.0), 0.0, 1.0)
    common = band_limited_speckle(rng, power.shape, sensor)
    own = band_limited_speckle(rng, power.shape, sensor)
    amplitude = np.sqrt(power)
    reference = amplitude * common
    secondary = (
        amplitude * (gamma * common + np.sqrt(1.0 - gamma**2) * own) * np.exp(-1j * np.angle(signal.moving))
    )
    return reference.astype(np.complex64), secondary.astype(np.complex64)


def phase_domain_pair(
    config: StageSettings,
    ground: Ground,
    context: TrackContext,
    pair: Pair,
    grid: Grid,
    dem_m: NDArray[np.float64],
    dem_grid: Grid,
) -> PhaseDomainPair:
    """The product and the truth of one pair, without focusing its SLCs.

    Parameters
    ----------
    config
        The scene's config with the generator's scatterer spacing (:func:`phase_domain_config`).
    ground, context, pair, grid
        The simulated ground, the track's shared context, the pair and the product grid.
    dem_m, dem_grid
        The processor's DEM.
    """
    params = config["interferogram"]
    ref_geom = context.orbits[pair.reference.scene_id].annotated
    sec_geom = context.orbits[pair.secondary.scene_id].annotated
    signal = expected_interferogram_radar(config, ground, context, pair, oversampling=1)
    model = model_phase(ref_geom, sec_geom, dem_m, dem_grid, grid, params)
    truth = truth_from_signal(config, ground, context, pair, grid, (dem_m, dem_grid), signal, model)
    rng = stream(config["synthetic"]["seed"], "phase-domain speckle", pair.pair_id)
    reference, secondary = speckle_pair(signal, rng, config["synthetic"]["sensor"])
    phase, coherence = product_from_coregistered(
        reference, secondary, model, ref_geom, dem_m, dem_grid, grid, params
    )
    tags = pair_geometry_tags(ref_geom, sec_geom, grid, dem_m, dem_grid)
    return PhaseDomainPair(phase, coherence, tags, truth)
