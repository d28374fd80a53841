"""Phase noise of the product against coherence, measured with the engine's own filter and looks.

The product is Goldstein-filtered on the single-look interferogram and then multilooked, so its
phase is far less noisy than the Cramer-Rao bound of its looks alone (about 0.19 rad at
coherence 0.5 where four plain looks give 0.61). The truth judges patterns against the noise
the product shows: pairs of correlated circular-Gaussian speckle of a given coherence, band
limited as the simulator's SLCs are, go through :func:`massmove.insar.goldstein.goldstein_filter`
and :func:`massmove.insar.multilook.multilook` with the config's settings, and the circular
variance of the result is tabulated against coherence (deterministic: fixed seeds).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from massmove.insar.goldstein import goldstein_filter
from massmove.insar.multilook import multilook
from massmove.simulate.imaging import band_limit, complex_normal

#: coherences at which the noise is measured (interpolated in between)
COHERENCE_NODES = tuple(round(0.05 * k, 2) for k in range(1, 21))
#: side of the simulated speckle patch in SLC pixels
PATCH_PX = 256


@functools.lru_cache(maxsize=16)
def _noise_table(
    goldstein: tuple[float, int, int],
    looks: tuple[int, int],
    bandwidths: tuple[float, float],
    window_coefficient: float,
) -> NDArray[np.float64]:
    alpha, fft_size, window = goldstein
    variances = []
    for index, coherence in enumerate(COHERENCE_NODES):
        rng = np.random.default_rng([20180801, index])
        common, own = (
            band_limit(
                complex_normal(rng, (2 * PATCH_PX, 2 * PATCH_PX)).astype(np.complex128),
                2,
                bandwidths,
                window_coefficient,
            ).astype(np.complex128)
            for _ in range(2)
        )
        secondary = coherence * common + math.sqrt(max(1.0 - coherence**2, 0.0)) * own
        interferogram = common * np.conj(secondary)
        filtered = goldstein_filter(interferogram, alpha=alpha, fft_size=fft_size, window=window)
        phasor = multilook(filtered.astype(np.complex128), looks)
        resultant = float(np.abs(np.mean(phasor / np.maximum(np.abs(phasor), 1e-30))))
        variances.append(-2.0 * math.log(max(resultant, 1e-12)))
    return np.asarray(variances)


def product_phase_noise_variance(
    coherence: ArrayLike, interferogram: Mapping[str, Any], sensor: Mapping[str, Any]
) -> NDArray[np.float64]:
    """Circular variance (rad^2) of the product's phase at a true coherence.

    Parameters
    ----------
    coherence
        Coherence of the signal (0 to 1).
    interferogram
        The config's ``interferogram`` section (Goldstein settings and looks).
    sensor
        The config's ``synthetic.sensor`` section (bandwidths and window of the SLCs).

    Examples
    --------
    >>> from massmove.config import resolve_config
    >>> config = resolve_config({})
    >>> sensor = config["synthetic"]["sensor"]
    >>> noise = product_phase_noise_variance([0.5, 0.9], config["interferogram"], sensor)
    >>> bool(noise[0] > noise[1] > 0)
    True
    """
    gold, looks = interferogram["goldstein"], interferogram["multilook"]
    table = _noise_table(
        (float(gold["alpha"]), int(gold["fft_size"]), int(gold["window"])),
        (int(looks["azimuth"]), int(looks["range"])),
        (float(sensor["azimuth_bandwidth_fraction"]), float(sensor["range_bandwidth_fraction"])),
        float(sensor["window_coefficient"]),
    )
    gamma = np.clip(np.asarray(coherence, dtype=np.float64), COHERENCE_NODES[0], 1.0)
    return np.interp(gamma, COHERENCE_NODES, table)
