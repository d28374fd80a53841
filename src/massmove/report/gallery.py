"""The report's gallery: every detection and every missed reference pattern, each as 1.6 km
crops of the wrapped phase in both cyclic colour maps and of the likelihood, across every pair
that covers the spot, labelled hit, false alarm or miss and sorted by likelihood.

A detection is a hit when it matches a reference pattern of its pair one to one at the
evaluation's IoU threshold (as the evaluation counts it), else a false alarm; a reference
pattern no detection matches is a miss. Without a reference every detection is just a
detection. Each label shows at most :data:`PER_LABEL` items, the likeliest first; the rest
are counted in words.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from numpy.typing import NDArray
from rasterio.windows import Window

from massmove.colormaps import STYLES
from massmove.detect.support import polygon_pixels
from massmove.evaluate.metrics import match_objects
from massmove.evaluate.pair import geometries_in, references_on
from massmove.grid import Grid
from massmove.report.panels import image_tag
from massmove.report.raster_images import coloured, encode, labelled, outline_mask

#: side of a crop on the ground, in metres (the study's 128 px patch at 12.5 m)
CROP_M = 1600.0
#: items shown per label (hit, false alarm, miss, detection); the rest are counted
PER_LABEL = 24
#: the maps of each pair's crops, top to bottom
CROP_ROWS = (
    ("wrapped_phase", "phase_romao"),
    ("wrapped_phase", "phase_cmocean"),
    ("likelihood_mean", "likelihood_mean"),
)
LABELS = ("hit", "false alarm", "miss", "detection")


class GalleryItem(NamedTuple):
    """One detection or missed reference pattern of one pair (geometry in the grid's CRS)."""

    label: str
    pair_id: str
    geometry: shapely.Geometry
    likelihood: float
    area_m2: float
    confirmed: bool | None


class PairRasters(NamedTuple):
    """Where the gallery crops one pair from: its product (``wrapped_phase``) and likelihood
    (``likelihood_mean``) files on the pair's own ``grid``, read a window at a time, and its
    reference patterns (grid CRS; outlined in black on its crops)."""

    pair_id: str
    product: Path
    likelihood: Path
    grid: Grid
    reference: Sequence[shapely.Geometry] = ()

    def window(self, band: str, crop: Grid) -> NDArray[np.float32]:
        """The pixels of ``band`` under ``crop`` (a block of this pair's grid), NaN outside."""
        path = self.product if band == "wrapped_phase" else self.likelihood
        row0 = round((self.grid.north_m - crop.north_m) / self.grid.spacing_m)
        col0 = round((crop.west_m - self.grid.west_m) / self.grid.spacing_m)
        with rasterio.open(path) as src:
            index = src.descriptions.index(band) + 1
            window = Window(col0, row0, crop.width, crop.height)
            return src.read(index, window=window, boundless=True, fill_value=np.nan).astype(np.float32)


def short_pair_name(pair_id: str) -> str:
    """A pair id short enough to label a crop: ``A088 0801-0813`` for ``A088_20180801_20180813``.

    Examples
    --------
    >>> short_pair_name("A088_20180801_20180813"), short_pair_name("hyp3_a_very_long_name_of_a_pair")
    ('A088 0801-0813', 'hyp3_a_very_long_nam')
    """
    parts = pair_id.split("_")
    if len(parts) == 3 and all(len(p) == 8 and p.isdigit() for p in parts[1:]):
        return f"{parts[0]} {parts[1][4:]}-{parts[2][4:]}"
    return pair_id[:20]


def peak_inside(geometry: shapely.Geometry, band: NDArray, grid: Grid) -> float:
    """The largest finite value of ``band`` on the pixels ``geometry`` covers (NaN: none)."""
    pixels = polygon_pixels(geometry, grid)
    if pixels is None:
        return float("nan")
    values = band[pixels.rows, pixels.cols][pixels.mask]
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else float("nan")


def pair_items(
    pair_id: str,
    detections: gpd.GeoDataFrame,
    reference: gpd.GeoDataFrame | None,
    likelihood_mean: NDArray,
    grid: Grid,
    iou_threshold: float,
) -> list[GalleryItem]:
    """The gallery items of one pair: its detections, labelled against its reference, and the
    reference patterns none of them matches, counted as the evaluation counts them (references
    clipped to the grid, :func:`massmove.evaluate.pair.references_on`). ``detections`` may
    carry ``confirmed``."""
    if len(detections):
        detections = detections[~(detections.geometry.isna() | detections.geometry.is_empty)]
    found = geometries_in(detections, grid.crs)
    confirmed = (
        detections["confirmed"].astype(bool).tolist() if "confirmed" in detections else [None] * len(found)
    )
    likelihoods = (
        detections["likelihood_max"].astype(float).tolist()
        if "likelihood_max" in detections
        else [peak_inside(g, likelihood_mean, grid) for g in found]
    )
    items = []
    if reference is None:
        matched_detections: set[int] = set()
        matched_references: set[int] = set()
        patterns: list[shapely.Geometry] = []
    else:
        patterns = references_on(reference, grid)
        matches = match_objects(found, patterns, iou_threshold=iou_threshold)
        matched_detections = {d for d, _, _ in matches}
        matched_references = {r for _, r, _ in matches}
    for index, geometry in enumerate(found):
        if reference is None:
            label = "detection"
        else:
            label = "hit" if index in matched_detections else "false alarm"
        items.append(
            GalleryItem(label, pair_id, geometry, likelihoods[index], float(geometry.area), confirmed[index])
        )
    for index, geometry in enumerate(patterns):
        if index not in matched_references:
            peak = peak_inside(geometry, likelihood_mean, grid)
            items.append(GalleryItem("miss", pair_id, geometry, peak, float(geometry.area), None))
    return items


def crop_grid(centre: shapely.Point, grid: Grid, side_px: int) -> Grid:
    """The ``side_px`` square block of ``grid`` centred on ``centre`` (it may reach beyond the
    grid: what lies outside reads as no data)."""
    row, col = grid.fractional_index(centre.x, centre.y)
    row0, col0 = int(np.rint(row)) - side_px // 2, int(np.rint(col)) - side_px // 2
    return Grid(
        grid.west_m + col0 * grid.spacing_m,
        grid.north_m - row0 * grid.spacing_m,
        grid.spacing_m,
        side_px,
        side_px,
        grid.crs,
    )


def item_crops(
    item: GalleryItem, rasters: Sequence[PairRasters], grid: Grid
) -> tuple[NDArray[np.uint8], list[str]]:
    """One image of an item's crops: a column per pair whose phase covers the item's centre
    (each read on the pair's own grid), the rows of :data:`CROP_ROWS`; the item outlined in
    white (a missed pattern in black), each pair's reference patterns in black. Also the pairs
    shown, left to right. ``grid``: the item's pair's grid (its CRS is every pair's)."""
    side_px = max(int(round(CROP_M / grid.spacing_m)), 8)
    centre = item.geometry.centroid
    colour = (0, 0, 0) if item.label == "miss" else (255, 255, 255)
    columns: list[tuple[PairRasters, Grid, NDArray[np.float32]]] = []
    for raster in rasters:
        crop = crop_grid(centre, raster.grid, side_px)
        phase = raster.window("wrapped_phase", crop)
        if np.isfinite(phase[side_px // 2, side_px // 2]) or (raster.pair_id == item.pair_id and not columns):
            columns.append((raster, crop, phase))
    gap = 2
    canvas = np.full(
        (len(CROP_ROWS) * (side_px + gap) - gap, max(len(columns), 1) * (side_px + gap) - gap, 3),
        255,
        np.uint8,
    )
    for j, (raster, crop, phase) in enumerate(columns):
        patterns = np.asarray(raster.reference, dtype=object)
        nearby = patterns[shapely.intersects(patterns, shapely.box(*crop.bounds))] if len(patterns) else []
        references, outline = outline_mask(nearby, crop), outline_mask([item.geometry], crop)
        for i, (band, style) in enumerate(CROP_ROWS):
            values = phase if band == "wrapped_phase" else raster.window(band, crop)
            tile = coloured(values, STYLES[style])
            tile[references] = (0, 0, 0)
            tile[outline] = colour
            if i == 0:
                name = short_pair_name(raster.pair_id)
                tile = labelled(tile, name if raster.pair_id != item.pair_id else f"{name} *")
            top, left = i * (side_px + gap), j * (side_px + gap)
            canvas[top : top + side_px, left : left + side_px] = tile
    return canvas, [raster.pair_id for raster, _, _ in columns]


def gallery_section(items: Sequence[GalleryItem], rasters: Sequence[PairRasters]) -> str:
    """HTML of the gallery: per label, the likeliest :data:`PER_LABEL` items with their crops,
    the rest counted."""
    grids = {raster.pair_id: raster.grid for raster in rasters}
    parts = [
        "<h2>Gallery</h2>",
        f"<p>Every detection and every missed reference pattern, {CROP_M / 1000:g} km around it: "
        "per pair that covers the spot (a column; * marks the item's own pair), the wrapped phase "
        "in romaO, the same phase in the cyclic map <i>phase</i> (cmocean), and the "
        "ensemble's likelihood mean (batlow, 0 to 1). A detection is outlined in white, each "
        "pair's reference patterns (a missed one among them) in black. Sorted by likelihood: a "
        "detection's peak mean likelihood, a missed pattern's highest mean likelihood inside "
        "it.</p>",
    ]
    if not items:
        parts.append("<p>Nothing to show: no detection and no reference pattern in any pair.</p>")
        return "".join(parts)
    counts = {label: sum(item.label == label for item in items) for label in LABELS}
    parts.append(
        "<p>"
        + ", ".join(
            f"{n} {label}{'es' if label == 'miss' and n != 1 else ('s' if n != 1 else '')}"
            for label, n in counts.items()
            if n
        )  # fmt: skip
        + ".</p>"
    )
    for label in LABELS:
        chosen = sorted(
            (item for item in items if item.label == label),
            key=lambda item: (
                -np.nan_to_num(item.likelihood, nan=-1.0),
                item.pair_id,
                item.geometry.centroid.x,
            ),
        )
        if not chosen:
            continue
        parts.append(f'<h3>{html.escape(label.capitalize())} ({len(chosen)})</h3><div class="gallery">')
        for item in chosen[:PER_LABEL]:
            canvas, shown = item_crops(item, rasters, grids[item.pair_id])
            support = (
                "" if item.confirmed is None else ("; confirmed" if item.confirmed else "; not confirmed")
            )
            likelihood = "no data" if not np.isfinite(item.likelihood) else f"{item.likelihood:.2f}"
            caption = (
                f"<b>{html.escape(label)}</b> in {html.escape(item.pair_id)}: likelihood {likelihood}, "
                f"{item.area_m2:,.0f} m2{support}; columns: {html.escape(', '.join(shown))}"
            )
            parts.append(
                f"<figure>{image_tag(encode(canvas), f'{label} {item.pair_id}')}"
                f"<figcaption>{caption}</figcaption></figure>"
            )
        parts.append("</div>")
        if len(chosen) > PER_LABEL:
            rest = chosen[PER_LABEL:]
            known = [item.likelihood for item in rest if np.isfinite(item.likelihood)]
            span = f" (likelihood {min(known):.2f} to {max(known):.2f})" if known else ""
            where = (
                "the reference holds every pattern"
                if label == "miss"
                else "every detection is in <code>results/detections.gpkg</code>"
            )
            parts.append(f"<p>{len(rest)} more of this label are not shown{span}; {where}.</p>")
    return "".join(parts)
