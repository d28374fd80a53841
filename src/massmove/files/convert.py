"""Interferograms made elsewhere -> the interferogram product: checks, then resampling onto the
product grid.

The product grid is the config's ``crs`` at ``posting_m``, over the part of the AOI the phase
raster covers (edges snapped to multiples of the posting, so every pair shares one lattice).
The phase is resampled on the unit phasor (cosine and sine separately, then their angle), never
on the wrapped angle, whose +-pi seam would average into false values; bilinear where the
input is finer than 4/3 of the posting, else the average of the phasors (a multilook). The
coherence is resampled the same way. Nodata is NaN.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import shapely
from numpy.typing import NDArray
from rasterio.warp import Resampling, reproject, transform_bounds
from rasterio.windows import Window, from_bounds

from massmove.errors import InputError
from massmove.files.interferogram import UNKNOWN, FileInterferogram
from massmove.grid import Grid
from massmove.io.memory import PRODUCT_BYTES_PER_PX, refuse_beyond_memory
from massmove.io.raster_io import posting_m_of

# a wrapped phase stays within [-pi, pi]; rounding of stored values gets this much slack
PHASE_SLACK_RAD = 1e-3
# the 1st-99th percentile spread below which a "phase" is not a wrapped interferogram (an
# unwrapped displacement in metres, a scaled product): a real wrapped interferogram spreads
# over most of the circle (noise, atmosphere, fringes) well before it holds this many pixels
MIN_PHASE_SPREAD_RAD = 0.5
MIN_PIXELS_FOR_SPREAD = 1000
# window of the coherence estimated from the phase where an input has none
ESTIMATE_WINDOW_PX = 5
# inputs coarser than this times the posting are averaged (multilooked), finer ones interpolated
AVERAGE_ABOVE_RATIO = 0.75


@dataclasses.dataclass(frozen=True)
class ConvertedInterferogram:
    """The product's bands on its grid, and the tags the inputs gave."""

    wrapped_phase_rad: NDArray[np.float32]
    coherence: NDArray[np.float32]
    grid: Grid
    tags: dict[str, Any]


def check_phase(path: Path, values: NDArray) -> None:
    """Refuse what is not a wrapped phase in radians (degrees, unwrapped phase or metres).

    Raises
    ------
    InputError
        One line naming the file and what its values look like.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise InputError(f"{path}: the phase has no valid pixel over the AOI")
    low, high = float(finite.min()), float(finite.max())
    if max(abs(low), abs(high)) > math.pi + PHASE_SLACK_RAD:
        # a phase wrapped in degrees spreads over most of [-180, 180] (or [0, 360))
        if -180.0 - PHASE_SLACK_RAD <= low < -90.0 and 90.0 < high <= 180.0 + PHASE_SLACK_RAD:
            guess = "degrees?"
        elif -PHASE_SLACK_RAD <= low and 270.0 < high <= 360.0 + PHASE_SLACK_RAD:
            guess = "degrees in [0, 360)?"
        elif -PHASE_SLACK_RAD <= low and high <= 2 * math.pi + PHASE_SLACK_RAD:
            guess = "wrapped on [0, 2 pi)? rewrap it to (-pi, pi]"
        else:
            guess = "an unwrapped phase or another unit?"
        raise InputError(
            f"{path}: phase values from {low:.4g} to {high:.4g} are not wrapped radians in "
            f"[-pi, pi] ({guess})"
        )
    if finite.size >= MIN_PIXELS_FOR_SPREAD:
        spread = float(np.percentile(finite, 99) - np.percentile(finite, 1))
        if spread < MIN_PHASE_SPREAD_RAD:
            raise InputError(
                f"{path}: phase values span only {spread:.3g} rad (1st to 99th percentile): an "
                "unwrapped displacement in metres or a scaled product, not a wrapped phase in radians"
            )


def check_coherence(path: Path, values: NDArray) -> None:
    """Refuse a coherence outside [0, 1] (after the layout's scaling)."""
    finite = values[np.isfinite(values)]
    if finite.size and (finite.min() < -PHASE_SLACK_RAD or finite.max() > 1 + PHASE_SLACK_RAD):
        hint = " (bytes 0-255? rescale, or use layout licsar)" if finite.max() <= 255 else ""
        raise InputError(
            f"{path}: coherence values from {finite.min():.4g} to {finite.max():.4g} are outside [0, 1]{hint}"
        )


def product_grid_over(src: Any, path: Path, aoi: shapely.Geometry, crs: str, posting_m: float) -> Grid:
    """The product grid: the AOI's part of the raster's footprint, in ``crs`` at ``posting_m``."""
    raster = transform_bounds(src.crs, crs, *src.bounds, densify_pts=21)
    area = transform_bounds("EPSG:4326", crs, *aoi.bounds, densify_pts=21)
    west, south = max(raster[0], area[0]), max(raster[1], area[1])
    east, north = min(raster[2], area[2]), min(raster[3], area[3])
    if west >= east or south >= north:
        footprint = transform_bounds(src.crs, "EPSG:4326", *src.bounds, densify_pts=21)
        raise InputError(
            f"{path}: the AOI {tuple(round(v, 4) for v in aoi.bounds)} lies outside the raster "
            f"(its footprint in degrees: {tuple(round(v, 4) for v in footprint)})"
        )
    return Grid.from_bounds(west, south, east, north, posting_m, crs)


def _window(src: Any, grid: Grid) -> Window:
    """The source window covering ``grid`` (one pixel of margin), clipped to the raster."""
    west, south, east, north = transform_bounds(grid.crs, src.crs, *grid.bounds, densify_pts=21)
    margin_x, margin_y = 2 * abs(src.transform.a), 2 * abs(src.transform.e)
    window = from_bounds(
        west - margin_x, south - margin_y, east + margin_x, north + margin_y, transform=src.transform
    )
    col0, row0 = math.floor(window.col_off), math.floor(window.row_off)
    col1 = math.ceil(window.col_off + window.width)
    row1 = math.ceil(window.row_off + window.height)
    col0, row0 = max(col0, 0), max(row0, 0)
    col1, row1 = min(col1, src.width), min(row1, src.height)
    return Window(col0, row0, max(col1 - col0, 0), max(row1 - row0, 0))


def _read(src: Any, band: int, window: Window, path: Path) -> NDArray[np.float64]:
    if band > src.count:
        raise InputError(f"{path}: has {src.count} band(s), band {band} was expected")
    values = src.read(band, window=window).astype(np.float64)
    nodata = src.nodatavals[band - 1]
    if nodata is not None and not math.isnan(nodata):
        values[values == nodata] = np.nan
    return values


def _onto(values: NDArray, src: Any, window: Window, grid: Grid, resampling: Resampling) -> NDArray:
    target = np.full(grid.shape, np.nan, dtype=np.float64)
    reproject(
        values,
        target,
        src_transform=src.window_transform(window),
        src_crs=src.crs,
        dst_transform=grid.transform,
        dst_crs=grid.crs,
        resampling=resampling,
        src_nodata=np.nan,
        dst_nodata=np.nan,
    )
    return target


def phase_coherence(phase_rad: NDArray, window_px: int = ESTIMATE_WINDOW_PX) -> NDArray[np.float64]:
    """Coherence estimated from a wrapped phase alone: the magnitude of the mean unit phasor
    over a window (NaN pixels left out). It ignores amplitude and is biased high on filtered
    phases; products carry it with ``coherence_source`` saying so.

    Examples
    --------
    >>> flat = np.zeros((20, 20))
    >>> float(phase_coherence(flat).min())
    1.0
    """
    from scipy import ndimage

    valid = np.isfinite(phase_rad)
    phasor = np.where(valid, np.exp(1j * np.where(valid, phase_rad, 0.0)), 0.0)
    size = (window_px, window_px)
    count = ndimage.uniform_filter(valid.astype(np.float64), size=size, mode="reflect")
    real = ndimage.uniform_filter(phasor.real, size=size, mode="reflect")
    imag = ndimage.uniform_filter(phasor.imag, size=size, mode="reflect")
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.hypot(real, imag) / count
    return np.where(valid, np.clip(result, 0.0, 1.0), np.nan)


def _coherence_scale(item: FileInterferogram, dtype: str) -> float:
    """LiCSAR stores coherence as bytes 0-255; everything else is taken as it is."""
    return 1.0 / 255.0 if item.layout == "licsar" and dtype == "uint8" else 1.0


def _same_grid(phase_src: Any, coherence_src: Any) -> bool:
    return bool(
        phase_src.crs == coherence_src.crs
        and phase_src.shape == coherence_src.shape
        and phase_src.transform.almost_equals(coherence_src.transform)
    )


def convert(
    item: FileInterferogram,
    *,
    aoi: shapely.Geometry,
    crs: str,
    posting_m: float,
    grid: Grid | None = None,
) -> ConvertedInterferogram:
    """Check one interferogram made elsewhere and resample it onto the product grid (``grid``
    when given, e.g. the AOI's grid shared by the slices of a pass; else the AOI's part of the
    raster's footprint).

    Raises
    ------
    InputError
        One line naming the file: no CRS, a phase that is not wrapped radians, a coherence on
        another grid or outside [0, 1], an AOI outside the raster.
    """
    try:
        with rasterio.open(item.phase) as src:
            if src.crs is None:
                raise InputError(
                    f"{item.phase}: the raster has no CRS (georeference it, e.g. gdal_edit.py -a_srs)"
                )
            covered = product_grid_over(src, item.phase, aoi, crs, posting_m)
            grid = grid or covered
            window = _window(src, grid)
            refuse_beyond_memory(
                (window.width * window.height + grid.width * grid.height) * PRODUCT_BYTES_PER_PX,
                f"{item.phase}",
                f"its {window.width} x {window.height} pixels over the AOI at {posting_m_of(src):.3g} m "
                "would be read at once; resample it coarser first (gdalwarp -tr) or give a smaller aoi",
            )
            phase = _read(src, item.phase_band, window, item.phase)
            check_phase(item.phase, phase)
            native_m = posting_m_of(src)
            resampling = (
                Resampling.average if native_m < AVERAGE_ABOVE_RATIO * posting_m else Resampling.bilinear
            )
            if item.coherence is not None:
                coherence, coherence_note = _coherence(item, src, window), "input"
            else:
                coherence = phase_coherence(phase)
                coherence_note = (
                    f"estimated from the phase (mean unit phasor, {ESTIMATE_WINDOW_PX} x "
                    f"{ESTIMATE_WINDOW_PX} input pixels; biased high on filtered phases)"
                )
            cos_on = _onto(np.cos(phase), src, window, grid, resampling)
            sin_on = _onto(np.sin(phase), src, window, grid, resampling)
            coherence_on = _onto(coherence, src, window, grid, resampling)
    except rasterio.errors.RasterioError as err:
        raise InputError(f"{item.phase}: cannot read raster ({err})") from err
    wrapped = np.arctan2(sin_on, cos_on)
    wrapped = np.where(wrapped <= -np.pi, np.pi, wrapped)
    invalid = ~(np.isfinite(wrapped) & np.isfinite(coherence_on))
    wrapped[invalid] = np.nan
    coherence_on = np.clip(coherence_on, 0.0, 1.0)
    coherence_on[invalid] = np.nan
    ratio = native_m / posting_m
    tags = {
        **{key: UNKNOWN for key in ("perpendicular_baseline_m", "heading_deg", "incidence_deg")},
        "wavelength_m": UNKNOWN,
        "engine_version": UNKNOWN,
        **{k: v for k, v in item.metadata.items() if k not in ("reference_datetime", "secondary_datetime")},
        "layout": item.layout,
        "input_phase": item.phase.name,
        "input_coherence": item.coherence.name if item.coherence else "none",
        "coherence_source": coherence_note,
        "native_posting_m": round(native_m, 3),
        "posting_ratio": round(ratio, 3),
        "coarser_than_posting": "yes" if ratio > 1 + 1e-6 else "no",
    }
    return ConvertedInterferogram(wrapped.astype(np.float32), coherence_on.astype(np.float32), grid, tags)


def _coherence(item: FileInterferogram, phase_src: Any, window: Window) -> NDArray[np.float64]:
    assert item.coherence is not None
    if item.coherence == item.phase:
        values = _read(phase_src, item.coherence_band, window, item.coherence)
        dtype = phase_src.dtypes[item.coherence_band - 1]
    else:
        try:
            src = rasterio.open(item.coherence)
        except rasterio.errors.RasterioError as err:  # named here, not under the phase's name
            raise InputError(f"{item.coherence}: cannot read the coherence raster ({err})") from None
        with src:
            if src.crs is None:
                raise InputError(f"{item.coherence}: the raster has no CRS")
            if not _same_grid(phase_src, src):
                raise InputError(
                    f"{item.coherence}: coherence is on another grid than the phase {item.phase.name} "
                    f"({src.crs} {src.shape} {tuple(src.transform)[:6]} vs {phase_src.crs} "
                    f"{phase_src.shape} {tuple(phase_src.transform)[:6]})"
                )
            values = _read(src, item.coherence_band, window, item.coherence)
            dtype = src.dtypes[item.coherence_band - 1]
    values = values * _coherence_scale(item, dtype)
    check_coherence(item.coherence, values)
    return values
