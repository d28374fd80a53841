"""SLC formation: ground scatterers focused onto each acquisition's radar grid.

Each scatterer contributes ``sqrt(power) * u_k * exp(-i 4 pi / wavelength * (R + d_los + delay))``
to the oversampled bin of its true (line, sample); ``u_k`` is its complex reflectivity at
acquisition ``k``, a persistent part plus a part that decorrelates as a Markov chain in time
(land-cover coherence ``gamma_inf + (1 - gamma_inf) exp(-dt / tau)``). Thermal noise at the
NESZ is added and the grid is band-limited with Hamming-weighted spectra (range and azimuth
bandwidths of Sentinel-1 IW) and decimated to the SLC sampling. Speckle, layover mixing,
shadow, geometric and temporal decorrelation thus follow from the physics rather than being
painted on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import numpy as np
import scipy.fft
from numpy.typing import NDArray

from massmove.geometry import AcquisitionGeometry, ground_to_radar, line_of_sight, slant_range
from massmove.pairs import Acquisition, synthetic_acquisitions
from massmove.settings import StageSettings
from massmove.simulate.atmosphere import tropospheric_delay
from massmove.simulate.ground import Ground
from massmove.simulate.orbits import AcquisitionOrbit, acquisition_orbit, nominal_geometry
from massmove.simulate.scatterers import (
    ScattererChunk,
    ScattererLayout,
    TrackFields,
    iterate_chunks,
    scatterer_layout,
    track_fields,
)
from massmove.simulate.seeds import stream
from massmove.splat import accumulate_rows

DAYS_PER_YEAR = 365.25


@dataclasses.dataclass
class TrackContext:
    """What every acquisition of a track shares."""

    track: str
    acquisitions: list[Acquisition]
    orbits: dict[str, AcquisitionOrbit]
    nominal: AcquisitionGeometry
    layout: ScattererLayout
    fields: TrackFields
    epoch: dt.datetime
    range_offset_m: float

    def years_since_epoch(self, acquisition: Acquisition) -> float:
        """Time of an acquisition after the period start, in years."""
        return (acquisition.start_utc - self.epoch).total_seconds() / 86400.0 / DAYS_PER_YEAR

    def acquisition(self, scene_id: str) -> Acquisition:
        """Look an acquisition up by scene id."""
        for acquisition in self.acquisitions:
            if acquisition.scene_id == scene_id:
                return acquisition
        raise KeyError(f"scene {scene_id} is not an acquisition of track {self.track}")


def track_context(config: StageSettings, ground: Ground, track: str) -> TrackContext:
    """Build the shared context of one synthetic track."""
    acquisitions = synthetic_acquisitions(config, track)
    heights = (float(ground.height_m.min()), float(ground.height_m.max()))
    orbits = {a.scene_id: acquisition_orbit(config, a, ground.grid.bounds, heights) for a in acquisitions}
    nominal = nominal_geometry(config, track, float(np.mean(ground.height_m)))
    ce, cn = config["synthetic"]["centre_m"]
    epoch = dt.datetime.fromisoformat(config["period"]["start"]).replace(tzinfo=dt.UTC)
    return TrackContext(
        track=track,
        acquisitions=acquisitions,
        orbits=orbits,
        nominal=nominal,
        layout=scatterer_layout(config, ground, nominal),
        fields=track_fields(ground, nominal),
        epoch=epoch,
        range_offset_m=float(slant_range(nominal, ce, cn, float(np.mean(ground.height_m)))),
    )


def acquisition_delay(config: StageSettings, ground: Ground, acquisition: Acquisition) -> NDArray[np.float32]:
    """Tropospheric delay field of one acquisition on the ground grid."""
    rng = stream(
        config["synthetic"]["seed"], "atmosphere", acquisition.track, acquisition.start_utc.isoformat()
    )
    return tropospheric_delay(ground.grid, ground.height_m, config["synthetic"]["atmosphere"], rng)


def deterministic_phase(
    context: TrackContext,
    ground: Ground,
    chunk: ScattererChunk,
    geometry: AcquisitionGeometry,
    acquisition: Acquisition,
    delay_m: NDArray[np.float32],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(line, sample, phase) of the scatterers of a chunk in one acquisition (true geometry)."""
    line, sample, phase = static_phase(context, chunk, geometry, delay_m)
    return line, sample, phase + motion_phase(context, chunk, geometry, acquisition)


def static_phase(
    context: TrackContext, chunk: ScattererChunk, geometry: AcquisitionGeometry, delay_m: NDArray[np.float32]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(line, sample, phase) of a chunk's scatterers as if nothing moved: range and delay."""
    line, sample = ground_to_radar(geometry, chunk.east_m, chunk.north_m, chunk.height_m)
    rng = geometry.near_range_m + sample * geometry.range_pixel_spacing_m
    delay = np.nan_to_num(chunk.sampler.bilinear(delay_m))
    return line, sample, 4 * math.pi / geometry.wavelength_m * ((rng - context.range_offset_m) + delay)


def motion_phase(
    context: TrackContext, chunk: ScattererChunk, geometry: AcquisitionGeometry, acquisition: Acquisition
) -> NDArray[np.float64]:
    """Phase of the range change the scatterers of a chunk moved by at an acquisition (since the epoch)."""
    los = line_of_sight(geometry, chunk.east_m, chunk.north_m, chunk.height_m)
    toward = sum(chunk.velocity_m_per_yr[i] * los[i] for i in range(3))
    range_change = -toward * context.years_since_epoch(acquisition)
    return 4 * math.pi / geometry.wavelength_m * range_change


def complex_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> NDArray[np.complex64]:
    """Circular complex Gaussian samples of unit variance."""
    values = rng.standard_normal((2, *shape), dtype=np.float32) * np.float32(math.sqrt(0.5))
    return values[0] + 1j * values[1]


def reflectivity(
    seed: int, context: TrackContext, chunk: ScattererChunk, index: int
) -> NDArray[np.complex64]:
    """Complex reflectivity of the chunk's scatterers at acquisition ``index`` of the track.

    The persistent part and every innovation come from their own random stream, so any
    acquisition can be simulated alone and still decorrelate consistently from the others.
    """
    shape = chunk.east_m.shape
    persistent = complex_normal(stream(seed, "speckle", context.track, chunk.index, "persistent"), shape)
    markov = complex_normal(stream(seed, "speckle", context.track, chunk.index, 0), shape)
    for step in range(1, index + 1):
        gap_days = (
            context.acquisitions[step].start_utc - context.acquisitions[step - 1].start_utc
        ).total_seconds() / 86400.0
        rho = np.exp(-gap_days / chunk.tau_days)
        innovation = complex_normal(stream(seed, "speckle", context.track, chunk.index, step), shape)
        markov = rho * markov + np.sqrt(1.0 - rho * rho) * innovation
    return np.sqrt(chunk.gamma_inf) * persistent + np.sqrt(1.0 - chunk.gamma_inf) * markov


def hamming_response(frequency: NDArray[np.floating], bandwidth: float, coefficient: float) -> NDArray:
    """Hamming-weighted band-pass of ``bandwidth`` (cycles per output sample), zero outside."""
    response = coefficient + (1 - coefficient) * np.cos(2 * np.pi * frequency / bandwidth)
    return np.where(np.abs(frequency) <= bandwidth / 2, response, 0.0)


def band_limit(
    oversampled: NDArray[np.complex128],
    oversampling: int,
    bandwidth_fractions: tuple[float, float],
    window_coefficient: float,
) -> NDArray[np.complex64]:
    """Band-limit an oversampled grid and decimate it by spectral cropping."""
    rows_os, cols_os = oversampled.shape
    rows, cols = rows_os // oversampling, cols_os // oversampling
    spectrum = scipy.fft.fft2(oversampled, workers=-1)
    fy = np.fft.fftfreq(rows_os) * oversampling
    fx = np.fft.fftfreq(cols_os) * oversampling
    spectrum *= hamming_response(fy, bandwidth_fractions[0], window_coefficient)[:, None]
    spectrum *= hamming_response(fx, bandwidth_fractions[1], window_coefficient)[None, :]
    keep_y = np.r_[0 : (rows + 1) // 2, rows_os - rows // 2 : rows_os]
    keep_x = np.r_[0 : (cols + 1) // 2, cols_os - cols // 2 : cols_os]
    cropped = spectrum[np.ix_(keep_y, keep_x)]
    # calibrate: white input of power P per oversampled bin leaves with power P per sample
    mean_gain = np.mean(
        np.abs(cropped_response(fy[keep_y], bandwidth_fractions[0], window_coefficient)) ** 2
    ) * (np.mean(np.abs(cropped_response(fx[keep_x], bandwidth_fractions[1], window_coefficient)) ** 2))
    scale = 1.0 / (oversampling * math.sqrt(mean_gain))
    return (scipy.fft.ifft2(cropped, workers=-1) * scale).astype(np.complex64)


def cropped_response(frequency: NDArray[np.floating], bandwidth: float, coefficient: float) -> NDArray:
    """The spectral weighting at the frequencies kept by the decimation."""
    return hamming_response(frequency, bandwidth, coefficient)


def form_slc(
    config: StageSettings, ground: Ground, context: TrackContext, scene_id: str
) -> NDArray[np.complex64]:
    """Simulate the SLC of one acquisition on its (annotated) radar grid."""
    synthetic = config["synthetic"]
    sensor = synthetic["sensor"]
    oversampling = synthetic["scatterers"]["oversampling"]
    acquisition = context.acquisition(scene_id)
    index = context.acquisitions.index(acquisition)
    orbit = context.orbits[scene_id]
    grid_shape = (orbit.annotated.n_lines * oversampling, orbit.annotated.n_samples * oversampling)
    focused = np.zeros(grid_shape, dtype=np.complex128)
    delay = acquisition_delay(config, ground, acquisition)
    for chunk in iterate_chunks(config, ground, context.layout, context.fields, oversampling=oversampling):
        line, sample, phase = deterministic_phase(context, ground, chunk, orbit.true, acquisition, delay)
        u = reflectivity(synthetic["seed"], context, chunk, index)
        contribution = np.sqrt(chunk.power) * u * np.exp(-1j * phase)
        accumulate_rows(focused, line[:, 0], sample, contribution, oversampling)
    noise_power = 10 ** (sensor["nesz_db"] / 10)
    noise_rng = stream(synthetic["seed"], "thermal-noise", scene_id)
    focused += math.sqrt(noise_power) * complex_normal(noise_rng, grid_shape)
    return band_limit(
        focused,
        oversampling,
        (sensor["azimuth_bandwidth_fraction"], sensor["range_bandwidth_fraction"]),
        sensor["window_coefficient"],
    )


def scene_metadata(context: TrackContext, scene_id: str, settings_digest: str) -> dict[str, Any]:
    """Metadata recorded in the SLC store of a synthetic acquisition."""
    from massmove import __version__
    from massmove.pairs import Track

    acquisition = context.acquisition(scene_id)
    track = Track.parse(context.track)
    return {
        "scene_id": scene_id,
        "source": "synthetic",
        "mission": "Sentinel-1 (synthetic)",
        "mode": "IW",
        "product": "SLC (debursted, zero-Doppler)",
        "polarisation": "VV",
        "track": track.name,
        "direction": track.direction,
        "relative_orbit": track.relative_orbit,
        "start_utc": acquisition.start_utc.isoformat(),
        "simulator": f"massmove {__version__}",
        "settings_digest": settings_digest,
    }
