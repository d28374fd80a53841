"""Ground truth of a synthetic pair on the product grid, from its expected signal
(:mod:`massmove.simulate.signal`) and the rules that judge what an expert could map.

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

import logging
import math
from collections import Counter
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from rasterio import features
from scipy import ndimage

from massmove.grid import Grid, expanded_bounds, sample_nearest
from massmove.insar.coherence import boxcar
from massmove.insar.engine import RADAR_CODING_MARGIN_M
from massmove.insar.geocode import geocode, grid_radar_coordinates
from massmove.insar.multilook import multilook
from massmove.insar.radarcode import simulated_interferometric_phase
from massmove.pairs import Pair
from massmove.settings import StageSettings
from massmove.simulate.ground import Ground
from massmove.simulate.imaging import (
    TrackContext,
)
from massmove.simulate.product_noise import product_phase_noise_variance
from massmove.simulate.signal import (
    ExpectedSignal,
    background_coherence,
    deformation_phase,
    expected_interferogram_radar,
    phase_noise_variance,
    product_filter,
)

log = logging.getLogger(__name__)

# The observer compares a pattern with surroundings of its own size: the clutter window is the
# body grown by its equivalent radius, by at least this many product pixels.
CLUTTER_MARGIN_MIN_PX = 8
# The peak of a pattern judged on the product: this percentile of its added phase.
PEAK_PERCENTILE = 95


class PairTruth(NamedTuple):
    """Truth rasters on the product grid and the visible patterns."""

    wrapped_phase_rad: NDArray[np.float32]
    coherence: NDArray[np.float32]
    patterns: gpd.GeoDataFrame


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
    noise_variance_rad2: float,
) -> tuple[float, float]:
    """How far a pattern stands out of the phase of its surroundings: (clutter RMS, ratio).

    The clutter is the noise-free wrapped phase without the movement's own deformation
    (residual topography of the DEM's errors, atmosphere, other signals) over a window of the
    body grown by its equivalent radius (at least ``CLUTTER_MARGIN_MIN_PX``), taken relative
    to its circular mean and with its least-squares plane removed: an observer discounts a
    ramp across the window, not a bump of the pattern's own scale. The ratio is the peak
    deformation phase over ``sqrt(clutter_rms^2 + noise_variance_rad2)``; Rose's criterion for
    a human observer asks for about 3 to 5.

    Parameters
    ----------
    peak_phase_rad
        Largest absolute deformation phase of the movement in the pair.
    inside
        Pixels of the movement on the product grid.
    clutter_rad
        Wrapped phase without the movement's deformation on the same grid (NaN: no data).
    noise_variance_rad2
        Phase noise variance of the product over the movement (its coherence).

    Returns
    -------
    tuple of float
        Clutter RMS in radians and the contrast-to-clutter ratio (0 without valid clutter).
    """
    radius_px = max(CLUTTER_MARGIN_MIN_PX, math.ceil(math.sqrt(inside.sum() / math.pi)))
    box = _box_around(inside, radius_px)
    window = ndimage.distance_transform_edt(~inside[box]) <= radius_px
    clutter = clutter_rad[box].astype(np.float64)
    window &= np.isfinite(clutter)
    if window.sum() < 3:
        return float("nan"), 0.0
    centred = np.angle(np.exp(1j * clutter) * np.conj(np.mean(np.exp(1j * clutter[window]))))
    clutter_rms = float(np.sqrt(np.mean(_plane_residual(centred, window)[window] ** 2)))
    spread_rad = math.sqrt(clutter_rms**2 + noise_variance_rad2)
    return clutter_rms, float(peak_phase_rad / spread_rad) if spread_rad > 0 else math.inf


def _box_around(inside: NDArray[np.bool_], margin_px: int) -> tuple[slice, slice]:
    rows, cols = np.nonzero(inside)
    return (
        slice(max(rows.min() - margin_px, 0), rows.max() + margin_px + 1),
        slice(max(cols.min() - margin_px, 0), cols.max() + margin_px + 1),
    )


def unwrap_guided(wrapped_rad: NDArray[np.floating], guide_rad: NDArray[np.floating]) -> NDArray[np.float64]:
    """Unwrap a phase with an unwrapped guide it stays within pi of: ``guide + wrap(wrapped - guide)``.

    The product's filter attenuates a pattern's phase but does not change its sign or
    alias it; for the readable patterns of the truth (90th-percentile gradient at most
    ``max_gradient_rad_per_px``) the filtered deformation stays within pi of the unfiltered
    one, which is therefore the guide.

    Examples
    --------
    >>> deformation = np.array([0.0, 3.0, 6.0, 9.0])
    >>> filtered = 0.8 * deformation
    >>> unwrap_guided(np.angle(np.exp(1j * filtered)), deformation).round(6).tolist()
    [0.0, 2.4, 4.8, 7.2]
    """
    guide = np.asarray(guide_rad, dtype=np.float64)
    return guide + np.angle(np.exp(1j * (np.asarray(wrapped_rad, dtype=np.float64) - guide)))


def visible_extent(
    shown_rad: NDArray[np.float64], readable: NDArray[np.bool_], threshold_rad: float
) -> NDArray[np.bool_]:
    """Where a movement stands out on the product: its ``readable`` pixels whose added phase
    reaches the threshold, holes filled (an expert outlines a pattern, not its rings)."""
    extent = readable & (np.abs(np.nan_to_num(shown_rad)) >= threshold_rad)
    return ndimage.binary_fill_holes(extent)


def extent_polygon(extent: NDArray[np.bool_], grid: Grid) -> shapely.Geometry:
    """Outline of the pixels of an extent (pixel edges), as one (multi)polygon."""
    shapes = features.shapes(extent.astype(np.uint8), mask=extent, transform=grid.transform, connectivity=4)
    return shapely.union_all([shapely.geometry.shape(geometry) for geometry, _ in shapes])


class PatternPhases(NamedTuple):
    """What a pair's movements are judged on, on the product grid."""

    shown_rad: NDArray[np.float64]  # phase the deformation adds to what is judged (wrapped or not)
    clutter_rad: NDArray[np.float64]  # the judged phase without the deformation (NaN: no data)
    readability: NDArray[np.float32]  # coherence of the signal, whatever its phase pattern


def visible_patterns(
    config: StageSettings,
    ground: Ground,
    context: TrackContext,
    pair: Pair,
    grid: Grid,
    phases: PatternPhases,
) -> gpd.GeoDataFrame:
    """The movements an expert could map in this pair, with their class and visible outline.

    With ``synthetic.truth.judged_on: product`` a movement is judged on what it adds to the
    noise-free phase filtered and multilooked as the product is (``phases.shown_rad``,
    wrapped), against that phase without it (``phases.clutter_rad``) and the product's own
    phase noise (:func:`massmove.simulate.product_noise.product_phase_noise_variance`); its
    outline is its visible extent (:func:`visible_extent` at ``extent_contrast`` times the
    spread of the phase around it). With ``deformation`` (the simpler rule, kept to score a run
    against both) it is judged on its unfiltered deformation phase against the Cramer-Rao noise
    of the looks, and outlined whole.

    Classes: ``coherent`` (readable fringes reaching ``min_phase_rad`` and
    ``min_contrast_to_clutter``), ``faint`` (readable, standing out at
    ``faint_contrast_to_clutter`` but short of the coherent rule: not learned, scored apart),
    ``incoherent`` (its own motion decorrelates it or its fringes alias, on ground that
    otherwise keeps coherence).
    """
    rules = config["synthetic"]["truth"]
    on_product = rules["judged_on"] == "product"
    multilook = config["interferogram"]["multilook"]
    looks = multilook["azimuth"] * multilook["range"]
    east, north = grid.centres()
    body_id = sample_nearest(ground.grid, ground.movement_id, east, north, fill=0)
    deformation = deformation_phase(ground, context, pair, grid)
    grad_rows, grad_cols = np.gradient(deformation)
    gradient = np.hypot(grad_rows, grad_cols)
    background = background_coherence(config, ground, context, pair, grid)
    extent_box = shapely.box(*grid.bounds)
    records = []
    fates: Counter[tuple[str, str]] = Counter()
    for movement in ground.movements:
        inside = body_id == movement.movement_id
        if inside.sum() < 2:
            fates[(movement.kind, "outside or under 2 px")] += 1
            continue
        deformation_peak = float(np.max(np.abs(deformation[inside])))
        gradient_p90 = float(np.percentile(gradient[inside], 90))
        readable_px = phases.readability[inside]
        coherence_median = float(np.nanmedian(readable_px)) if np.isfinite(readable_px).any() else 0.0
        background_median = float(np.median(background[inside]))
        if background_median < rules["min_coherence"]:
            fates[(movement.kind, "on decorrelated ground")] += 1  # nothing to see, moving or not
            continue
        readable = (
            gradient_p90 <= rules["max_gradient_rad_per_px"] and coherence_median >= rules["min_coherence"]
        )
        record = {
            "pair_id": pair.pair_id,
            "movement_id": movement.movement_id,
            "kind": movement.kind,
            "velocity_m_per_yr": movement.velocity_m_per_yr,
            "deformation_peak_rad": deformation_peak,
            "gradient_p90_rad_per_px": gradient_p90,
            "coherence_median": coherence_median,
            "background_coherence_median": background_median,
        }
        body = movement.outline().intersection(extent_box)
        if not readable:
            if deformation_peak < rules["min_phase_rad"]:
                fates[(movement.kind, "too slow")] += 1
                continue
            # its motion decorrelates it or aliases: a decorrelated patch of the body's size
            records.append(
                {
                    **record,
                    "class": "incoherent",
                    "peak_phase_rad": deformation_peak,
                    "clutter_rms_rad": np.nan,
                    "contrast_to_clutter": np.nan,
                    "extent_share": 1.0,
                    "area_m2": float(body.area),
                    "geometry": body,
                }
            )
            continue
        if on_product:
            # only where the product keeps the signal can the pattern be seen on it
            seen = inside & (np.nan_to_num(phases.readability) >= rules["min_coherence"])
            shown = unwrap_guided(phases.shown_rad, deformation)
            noise_variance = float(
                product_phase_noise_variance(
                    coherence_median, config["interferogram"], config["synthetic"]["sensor"]
                )
            )
        else:
            seen, shown = inside, phases.shown_rad
            noise_variance = float(phase_noise_variance(coherence_median, looks))
        # the peak an observer reads: a high percentile, robust to the odd pixel next to
        # decorrelated ground where the filter's output is erratic
        values = np.abs(np.nan_to_num(shown[seen]))
        peak = float(np.percentile(values, PEAK_PERCENTILE if on_product else 100)) if seen.any() else 0.0
        clutter_rms, contrast = contrast_to_clutter(peak, inside, phases.clutter_rad, noise_variance)
        if peak >= rules["min_phase_rad"] and contrast >= rules["min_contrast_to_clutter"]:
            label = "coherent"
        elif contrast >= rules["faint_contrast_to_clutter"]:
            label = "faint"  # it shows, but short of what is mapped with confidence
        else:
            fates[(movement.kind, "too slow" if peak < rules["min_phase_rad"] else "lost in clutter")] += 1
            continue  # no one maps it
        if on_product:
            spread = peak / contrast if contrast > 0 else math.inf
            extent = visible_extent(shown, seen, rules["extent_contrast"] * spread) & inside
            if extent.sum() < 2:
                fates[(movement.kind, "extent under 2 px")] += 1
                continue
            outline = extent_polygon(extent, grid)
            share = float(extent.sum() / inside.sum())
        else:
            outline, share = body, 1.0
        records.append(
            {
                **record,
                "class": label,
                "peak_phase_rad": peak,
                "clutter_rms_rad": clutter_rms,
                "contrast_to_clutter": contrast,
                "extent_share": share,
                "area_m2": float(outline.area),
                "geometry": outline,
            }
        )
    columns = [
        "pair_id",
        "movement_id",
        "kind",
        "class",
        "area_m2",
        "extent_share",
        "velocity_m_per_yr",
        "peak_phase_rad",
        "deformation_peak_rad",
        "gradient_p90_rad_per_px",
        "coherence_median",
        "background_coherence_median",
        "clutter_rms_rad",
        "contrast_to_clutter",
        "geometry",
    ]
    fates.update((record["kind"], record["class"]) for record in records)
    summary = "; ".join(f"{kind} {fate} {n}" for (kind, fate), n in sorted(fates.items()))
    log.info("%s: movements by kind and fate: %s", pair.pair_id, summary)
    frame = gpd.GeoDataFrame(records, columns=columns, geometry="geometry", crs=grid.crs)
    return frame.astype({"movement_id": "int64", "class": "str", "kind": "str", "pair_id": "str"})


def pair_truth(
    config: StageSettings,
    ground: Ground,
    context: TrackContext,
    pair: Pair,
    grid: Grid,
    dem_m: NDArray[np.float64],
    dem_grid: Grid,
) -> PairTruth:
    """All truth products of one pair.

    The truth phase is the noise-free phase as the product shows it: the expected
    interferogram, flattened with the DEM's model phase, Goldstein-filtered, multilooked and
    geocoded exactly as the engine does with the data.
    """
    params = config["interferogram"]
    ref_geom = context.orbits[pair.reference.scene_id].annotated
    sec_geom = context.orbits[pair.secondary.scene_id].annotated
    signal = expected_interferogram_radar(config, ground, context, pair)
    # what an ideal processor removes: the phase the DEM predicts, simulated as the engine does
    model = simulated_interferometric_phase(
        ref_geom,
        sec_geom,
        dem_m,
        dem_grid,
        expanded_bounds(grid.bounds, RADAR_CODING_MARGIN_M),
        params["dem_densify_m"],
    )
    return truth_from_signal(config, ground, context, pair, grid, (dem_m, dem_grid), signal, model)


def truth_from_signal(
    config: StageSettings,
    ground: Ground,
    context: TrackContext,
    pair: Pair,
    grid: Grid,
    dem: tuple[NDArray[np.float64], Grid],
    signal: ExpectedSignal,
    model_phase_rad: NDArray[np.float64],
) -> PairTruth:
    """The truth of a pair from its expected signal and the model phase the processor removes.

    Parameters
    ----------
    config, ground, context, pair, grid
        As in :func:`pair_truth`.
    dem
        The processor's DEM heights and grid (for the geocoding).
    signal
        The pair's expected interferogram and power (:func:`expected_interferogram_radar`).
    model_phase_rad
        Flat-earth and topographic phase the processor removes (NaN: none), on the reference grid.
    """
    params = config["interferogram"]
    ref_geom = context.orbits[pair.reference.scene_id].annotated
    window = (params["coherence_window"]["azimuth"], params["coherence_window"]["range"])
    looks = (params["multilook"]["azimuth"], params["multilook"]["range"])
    line, sample = grid_radar_coordinates(ref_geom, grid, *dem)
    removed = np.exp(-1j * np.nan_to_num(model_phase_rad))
    flattened = signal.moving * removed
    # coherence of the expected signal over the product's estimation window and looks
    window_coherence = np.abs(multilook(boxcar(flattened, window), looks)) / multilook(
        boxcar(signal.power, window), looks
    )
    coherence_map = geocode(window_coherence, line, sample, looks).astype(np.float32)
    # the coherence of the signal itself, whatever its phase pattern: what decides whether an
    # expert can read the fringes (dense fringes lower the window estimate, not readability)
    signal_coherence = multilook(boxcar(np.abs(signal.moving) / signal.power, window), looks)
    readability = geocode(signal_coherence, line, sample, looks).astype(np.float32)
    shown = geocode(product_filter(flattened, params), line, sample, looks)
    phase = np.angle(shown).astype(np.float32)
    phase[phase == -np.float32(np.pi)] = np.float32(np.pi)
    phase[~np.isfinite(coherence_map)] = np.nan
    if config["synthetic"]["truth"]["judged_on"] == "product":
        static = geocode(product_filter(signal.static * removed, params), line, sample, looks)
        phases = PatternPhases(np.angle(shown * np.conj(static)), np.angle(static), readability)
    else:  # judged_on deformation: the unfiltered deformation against the unfiltered phase
        deformation = deformation_phase(ground, context, pair, grid)
        unfiltered = np.angle(geocode(multilook(flattened, looks), line, sample, looks))
        phases = PatternPhases(deformation, np.angle(np.exp(1j * (unfiltered - deformation))), readability)
    clutter = np.where(np.isfinite(coherence_map), phases.clutter_rad, np.nan)
    patterns = visible_patterns(config, ground, context, pair, grid, phases._replace(clutter_rad=clutter))
    return PairTruth(phase, np.clip(coherence_map, 0, 1), patterns)
