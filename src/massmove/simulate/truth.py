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
  ground that keeps coherence; ``coherent`` when their fringes are sampled and readable and
  stand out of their surroundings (:func:`contrast_to_clutter` reaches
  ``min_contrast_to_clutter``, a Rose-type criterion), ``incoherent`` when their own motion
  decorrelates them or their gradient aliases. A movement that keeps coherence but is lost in
  the clutter of its surroundings is not a visible pattern: no one could map it on the
  wrapped phase.
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

# The observer compares a pattern with surroundings of its own size: the clutter window is the
# body grown by its equivalent radius, by at least this many product pixels.
CLUTTER_MARGIN_MIN_PX = 8


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


def phase_noise_variance(coherence: NDArray | float, looks: float) -> NDArray | float:
    """Cramer-Rao bound of the interferometric phase variance, ``(1 - g^2) / (2 L g^2)`` in rad^2.

    Examples
    --------
    >>> round(float(phase_noise_variance(0.5, 4)), 3)
    0.375
    """
    gamma = np.clip(coherence, 1e-3, 1.0)
    return (1 - gamma**2) / (2 * looks * gamma**2)


def _plane_residual(values: NDArray[np.float64], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    """``values`` minus their least-squares plane over ``mask`` (only ``mask`` is meaningful)."""
    rows, cols = np.nonzero(mask)
    design = np.column_stack([np.ones(rows.size), rows, cols])
    coefficients, *_ = np.linalg.lstsq(design, values[mask], rcond=None)
    all_rows, all_cols = np.indices(values.shape)
    return values - (coefficients[0] + coefficients[1] * all_rows + coefficients[2] * all_cols)


def contrast_to_clutter(
    peak_phase_rad: float,
    inside: NDArray[np.bool_],
    clutter_rad: NDArray[np.floating],
    coherence_median: float,
    looks: float,
) -> tuple[float, float]:
    """How far a pattern stands out of the phase of its surroundings: (clutter RMS, ratio).

    The clutter is the noise-free wrapped phase without the movement's own deformation
    (residual topography of the DEM's errors, atmosphere, other signals) over a window of the
    body grown by its equivalent radius (at least ``CLUTTER_MARGIN_MIN_PX``), taken relative
    to its circular mean and with its least-squares plane removed: an observer discounts a
    ramp across the window, not a bump of the pattern's own scale. The phase noise of the
    product adds the Cramer-Rao variance of the body's median coherence at ``looks``.
    The ratio is the peak deformation phase over ``sqrt(clutter_rms^2 + noise variance)``;
    Rose's criterion for a human observer asks for about 3 to 5.

    Parameters
    ----------
    peak_phase_rad
        Largest absolute deformation phase of the movement in the pair.
    inside
        Pixels of the movement on the product grid.
    clutter_rad
        Wrapped phase without the movement's deformation on the same grid (NaN: no data).
    coherence_median
        Median coherence of the signal over the movement.
    looks
        Independent looks of a product pixel's phase.

    Returns
    -------
    tuple of float
        Clutter RMS in radians and the contrast-to-clutter ratio (0 without valid clutter).
    """
    radius_px = max(CLUTTER_MARGIN_MIN_PX, math.ceil(math.sqrt(inside.sum() / math.pi)))
    rows, cols = np.nonzero(inside)
    box = (
        slice(max(rows.min() - radius_px, 0), rows.max() + radius_px + 1),
        slice(max(cols.min() - radius_px, 0), cols.max() + radius_px + 1),
    )
    window = ndimage.distance_transform_edt(~inside[box]) <= radius_px
    clutter = clutter_rad[box].astype(np.float64)
    window &= np.isfinite(clutter)
    if window.sum() < 3:
        return float("nan"), 0.0
    centred = np.angle(np.exp(1j * clutter) * np.conj(np.mean(np.exp(1j * clutter[window]))))
    clutter_rms = float(np.sqrt(np.mean(_plane_residual(centred, window)[window] ** 2)))
    spread_rad = math.sqrt(clutter_rms**2 + float(phase_noise_variance(coherence_median, looks)))
    return clutter_rms, float(peak_phase_rad / spread_rad) if spread_rad > 0 else math.inf


def visible_patterns(
    config: Mapping[str, Any],
    ground: Ground,
    context: TrackContext,
    pair: Pair,
    grid: Grid,
    coherence_map: NDArray[np.float32],
    wrapped_phase_rad: NDArray[np.float32] | None,
) -> gpd.GeoDataFrame:
    """The movements an expert could map in this pair, with their class.

    ``coherence_map`` is the coherence of the signal on the product grid, independent of
    its phase pattern (the motion's own decorrelation lowers it; its fringes do not).
    ``wrapped_phase_rad`` is the noise-free wrapped phase of the pair on the same grid; the
    clutter each pattern is read against is this phase without the deformation. ``None``
    reads every pattern against phase noise alone (an upper bound, for quick statistics).
    """
    rules = config["synthetic"]["truth"]
    multilook = config["interferogram"]["multilook"]
    looks = multilook["azimuth"] * multilook["range"]
    east, north = grid.centres()
    body_id = sample_nearest(ground.grid, ground.movement_id, east, north, fill=0)
    phase = deformation_phase(ground, context, pair, grid)
    if wrapped_phase_rad is None:
        clutter = np.zeros_like(phase)
    else:
        clutter = np.angle(np.exp(1j * (wrapped_phase_rad.astype(np.float64) - phase)))
        clutter[~np.isfinite(wrapped_phase_rad)] = np.nan
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
        clutter_rms, contrast = contrast_to_clutter(peak, inside, clutter, coherence_median, looks)
        readable = (
            gradient_p90 <= rules["max_gradient_rad_per_px"] and coherence_median >= rules["min_coherence"]
        )
        if readable and contrast < rules["min_contrast_to_clutter"]:
            continue  # readable fringes, but lost in the clutter around them: no one maps it
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
                "clutter_rms_rad": clutter_rms,
                "contrast_to_clutter": contrast,
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
        "clutter_rms_rad",
        "contrast_to_clutter",
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
    patterns = visible_patterns(config, ground, context, pair, grid, readability, phase)
    return PairTruth(phase, np.clip(coherence_map, 0, 1), patterns)
