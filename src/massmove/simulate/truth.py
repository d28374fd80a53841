"""Ground truth of a synthetic pair on the product grid.

* The noise-free wrapped phase an ideal processor would produce with the DEM it was given:
  the expected interferogram of every reference pixel (geometry of the true terrain,
  deformation and atmospheric delay difference, summed over the pixel's scatterers), minus
  the phase the processor's DEM predicts (so the residual topographic phase of the DEM
  error stays), multilooked and geocoded like the product.
* The simulated coherence at the product's resolution: the coherence of the expected signal
  over the product's estimation window and looks, ``|sum E[s_ref conj(s_sec)] e^-i model| /
  sum E|s|^2`` (what the estimator converges to with infinitely many speckle realisations):
  temporal decorrelation, phase spread inside the resolution cell (impulse response),
  layover mixing, shadow, thermal noise and the residual phase left inside the window by the
  DEM's errors all enter; geocoded like the product.
* The visible patterns: movements whose deformation phase reaches ``min_phase_rad`` on
  ground that keeps coherence; ``coherent`` when their fringes are sampled and readable,
  ``incoherent`` when their own motion decorrelates them or their gradient aliases.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import ndimage

from massmove.geometry import line_of_sight
from massmove.insar.coherence import boxcar
from massmove.insar.engine import RADAR_CODING_MARGIN_M
from massmove.insar.geocode import geocode, grid_radar_coordinates
from massmove.insar.multilook import multilook
from massmove.insar.radarcode import simulated_interferometric_phase
from massmove.pairs import Pair
from massmove.raster import Grid, expanded_bounds, sample_nearest, sample_on_grid
from massmove.simulate.ground import Ground
from massmove.simulate.imaging import TrackContext, acquisition_delay, deterministic_phase, hamming_response
from massmove.simulate.landcover import class_table, temporal_coherence
from massmove.simulate.scatterers import iterate_chunks
from massmove.splat import accumulate_rows


class PairTruth(NamedTuple):
    """Truth rasters on the product grid and the visible patterns."""

    wrapped_phase_rad: NDArray[np.float32]
    coherence: NDArray[np.float32]
    patterns: gpd.GeoDataFrame


def expected_interferogram_radar(
    config: Mapping[str, Any], ground: Ground, context: TrackContext, pair: Pair
) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
    """Expected interferogram ``E[s_ref conj(s_sec)]`` and expected power of every reference pixel.

    The expected interferogram ``E[s_ref conj(s_sec)]`` sums, over the scatterers of each
    pixel, power times temporal coherence times the deterministic phase difference
    (geometry on the true terrain, deformation, atmosphere): layover mixing, shadow and
    the phase spread inside the cell enter as they do in the data.
    """
    synthetic = config["synthetic"]
    oversampling = synthetic["scatterers"]["oversampling"]
    ref, sec = pair.reference, pair.secondary
    orbit_ref, orbit_sec = context.orbits[ref.scene_id], context.orbits[sec.scene_id]
    shape = (orbit_ref.annotated.n_lines * oversampling, orbit_ref.annotated.n_samples * oversampling)
    numerator = np.zeros(shape, dtype=np.complex128)
    power = np.zeros(shape, dtype=np.complex128)
    delay_ref = acquisition_delay(config, ground, ref)
    delay_sec = acquisition_delay(config, ground, sec)
    gap_days = (sec.start_utc - ref.start_utc).total_seconds() / 86400.0
    for chunk in iterate_chunks(config, ground, context.layout, context.fields, oversampling=oversampling):
        line, sample, phase_ref = deterministic_phase(context, ground, chunk, orbit_ref.true, ref, delay_ref)
        _, _, phase_sec = deterministic_phase(context, ground, chunk, orbit_sec.true, sec, delay_sec)
        temporal = temporal_coherence(chunk.gamma_inf, chunk.tau_days, gap_days)
        accumulate_rows(
            numerator,
            line[:, 0],
            sample,
            chunk.power * temporal * np.exp(-1j * (phase_ref - phase_sec)),
            oversampling,
        )
        accumulate_rows(power, line[:, 0], sample, chunk.power.astype(np.complex128), oversampling)
    sensor = synthetic["sensor"]
    kernels = [
        power_response(oversampling, sensor[f"{axis}_bandwidth_fraction"], sensor["window_coefficient"])
        for axis in ("azimuth", "range")
    ]

    def to_pixels(values: NDArray) -> NDArray:
        # what each SLC pixel gathers: the power of its impulse response around it
        for axis, kernel in enumerate(kernels):
            values = ndimage.convolve1d(values.real, kernel, axis=axis) + 1j * ndimage.convolve1d(
                values.imag, kernel, axis=axis
            )
        return values[::oversampling, ::oversampling]

    noise_power = 10 ** (synthetic["sensor"]["nesz_db"] / 10)
    signal = to_pixels(power).real
    expected = to_pixels(numerator)
    return expected, signal + noise_power


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
    config: Mapping[str, Any], ground: Ground, context: TrackContext, pair: Pair, grid: Grid
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


def visible_patterns(
    config: Mapping[str, Any],
    ground: Ground,
    context: TrackContext,
    pair: Pair,
    grid: Grid,
    coherence_map: NDArray[np.float32],
) -> gpd.GeoDataFrame:
    """The movements an expert could map in this pair, with their class.

    ``coherence_map`` is the coherence of the signal on the product grid, independent of
    its phase pattern (the motion's own decorrelation lowers it; its fringes do not).
    """
    rules = config["synthetic"]["truth"]
    east, north = grid.centres()
    body_id = sample_nearest(ground.grid, ground.movement_id, east, north, fill=0)
    phase = deformation_phase(ground, context, pair, grid)
    grad_rows, grad_cols = np.gradient(phase)
    gradient = np.hypot(grad_rows, grad_cols)
    background = background_coherence(config, ground, context, pair, grid)
    extent = shapely.box(*grid.bounds)
    records = []
    for movement in ground.movements:
        inside = body_id == movement.movement_id
        if inside.sum() < 2:
            continue
        peak = float(np.max(np.abs(phase[inside])))
        gradient_p90 = float(np.percentile(gradient[inside], 90))
        coherence_median = (
            float(np.nanmedian(coherence_map[inside])) if np.isfinite(coherence_map[inside]).any() else 0.0
        )
        background_median = float(np.median(background[inside]))
        if peak < rules["min_phase_rad"] or background_median < rules["min_coherence"]:
            continue
        readable = (
            gradient_p90 <= rules["max_gradient_rad_per_px"] and coherence_median >= rules["min_coherence"]
        )
        outline = movement.outline().intersection(extent)
        records.append(
            {
                "pair_id": pair.pair_id,
                "movement_id": movement.movement_id,
                "class": "coherent" if readable else "incoherent",
                "area_m2": float(outline.area),
                "velocity_m_per_yr": movement.velocity_m_per_yr,
                "peak_phase_rad": peak,
                "gradient_p90_rad_per_px": gradient_p90,
                "coherence_median": coherence_median,
                "background_coherence_median": background_median,
                "geometry": outline,
            }
        )
    columns = [
        "pair_id",
        "movement_id",
        "class",
        "area_m2",
        "velocity_m_per_yr",
        "peak_phase_rad",
        "gradient_p90_rad_per_px",
        "coherence_median",
        "background_coherence_median",
        "geometry",
    ]
    frame = gpd.GeoDataFrame(records, columns=columns, geometry="geometry", crs=grid.crs)
    return frame.astype({"movement_id": "int64", "class": "str", "pair_id": "str"})


def pair_truth(
    config: Mapping[str, Any],
    ground: Ground,
    context: TrackContext,
    pair: Pair,
    grid: Grid,
    dem_m: NDArray[np.float64],
    dem_grid: Grid,
) -> PairTruth:
    """All truth products of one pair."""
    params = config["interferogram"]
    ref_geom = context.orbits[pair.reference.scene_id].annotated
    sec_geom = context.orbits[pair.secondary.scene_id].annotated
    expected, power = expected_interferogram_radar(config, ground, context, pair)
    window = (params["coherence_window"]["azimuth"], params["coherence_window"]["range"])
    looks = (params["multilook"]["azimuth"], params["multilook"]["range"])
    line, sample = grid_radar_coordinates(ref_geom, grid, dem_m, dem_grid)
    # what an ideal processor removes: the phase the DEM predicts, simulated as the engine does
    model = simulated_interferometric_phase(
        ref_geom,
        sec_geom,
        dem_m,
        dem_grid,
        expanded_bounds(grid.bounds, RADAR_CODING_MARGIN_M),
        params["dem_densify_m"],
    )
    flattened = expected * np.exp(-1j * np.nan_to_num(model))
    # coherence of the expected signal over the product's estimation window and looks
    window_coherence = np.abs(multilook(boxcar(flattened, window), looks)) / multilook(
        boxcar(power, window), looks
    )
    coherence_map = geocode(window_coherence, line, sample, looks).astype(np.float32)
    # the coherence of the signal itself, whatever its phase pattern: what decides whether an
    # expert can read the fringes (dense fringes lower the window estimate, not readability)
    signal_coherence = multilook(boxcar(np.abs(expected) / power, window), looks)
    readability = geocode(signal_coherence, line, sample, looks).astype(np.float32)
    phase = np.angle(geocode(multilook(flattened, looks), line, sample, looks)).astype(np.float32)
    phase[phase == -np.float32(np.pi)] = np.float32(np.pi)
    phase[~np.isfinite(coherence_map)] = np.nan
    patterns = visible_patterns(config, ground, context, pair, grid, readability)
    return PairTruth(phase, np.clip(coherence_map, 0, 1), patterns)
