"""Per pair, side by side: wrapped phase, likelihood mean, likelihood spread and coherence, each
at the product's own pixels (decimated only beyond :data:`MAX_PANEL_PX` a side), with the
detections (white; unconfirmed ones cyan where support was judged) and the reference (black)
outlined; the classical baseline's outlines on a
panel of their own, never over the ensemble's. Each panel enlarges on a click (a CSS-only
toggle: the page stays one self-contained file without script).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray

from massmove.colormaps import STYLES, BandStyle
from massmove.grid import Grid
from massmove.report.raster_images import (
    coloured,
    decimation,
    encode,
    legend_strip,
    outline_mask,
)

#: longest side of a panel in image pixels: 1024 px keep 12.5 m pixels up to a 12.8 km side
MAX_PANEL_PX = 1024
#: outline colours (RGB) on the panels
OUTLINE_RGB = {
    "detections": (255, 255, 255),
    "confirmed": (255, 255, 255),
    "unconfirmed": (0, 255, 255),
    "reference": (0, 0, 0),
    "baseline": (255, 140, 0),
}

#: style sheet of the panels and the gallery (a checked box enlarges its image to the window)
PANEL_STYLE = """
.panels { display: grid; grid-template-columns: repeat(auto-fill, minmax(12em, 1fr)); gap: 0.6em; }
.panels figure, .gallery figure { margin: 0; }
figcaption { font-size: 0.85em; }
label.zoom { cursor: zoom-in; display: block; }
label.zoom input { display: none; }
label.zoom img { width: 100%; image-rendering: pixelated; }
label.zoom input:checked + img { position: fixed; inset: 0; width: 100vw; height: 100vh;
  object-fit: contain; background: #000; z-index: 10; cursor: zoom-out; }
img.legend { width: 100%; height: 0.6em; display: block; }
.gallery figure { display: inline-block; vertical-align: top; margin: 0 0.6em 0.8em 0; }
.gallery img { image-rendering: pixelated; }
"""


def image_tag(data: bytes, alt: str, kind: str = "jpeg", css_class: str | None = None) -> str:
    """An ``<img>`` holding ``data`` as a data URI."""
    encoded = base64.b64encode(data).decode("ascii")
    attribute = f' class="{css_class}"' if css_class else ""
    return f'<img{attribute} alt="{html.escape(alt)}" src="data:image/{kind};base64,{encoded}">'


def zoomable(data: bytes, alt: str) -> str:
    """An image that fills the window while its (hidden) box is checked: click to enlarge."""
    return f'<label class="zoom"><input type="checkbox">{image_tag(data, alt)}</label>'


def panel_rgb(
    band: NDArray,
    style: BandStyle,
    grid: Grid,
    outlines: Mapping[str, gpd.GeoDataFrame],
    step: int,
) -> NDArray[np.uint8]:
    """One band coloured (every ``step``-th pixel) with each layer's outlines burnt in."""
    rgb = coloured(np.asarray(band)[::step, ::step], style)
    for name, frame in outlines.items():
        if len(frame):
            mask = outline_mask(frame.to_crs(grid.crs).geometry, grid, step)
            rgb[mask] = OUTLINE_RGB.get(name, (0, 255, 255))
    return rgb


def pair_panels(
    pair_id: str,
    bands: Mapping[str, NDArray],
    grid: Grid,
    outlines: Mapping[str, gpd.GeoDataFrame],
    baseline: gpd.GeoDataFrame | None = None,
) -> str:
    """HTML of one pair's panels. ``bands``: ``wrapped_phase``, ``likelihood_mean``,
    ``likelihood_spread`` and ``coherence`` (a missing one is left out); ``outlines``:
    ``detections`` and ``reference`` frames; ``baseline``: the classical baseline's detections,
    drawn on a phase panel of their own."""
    step = decimation(grid.shape, MAX_PANEL_PX)
    shown: list[tuple[str, NDArray, BandStyle, Mapping[str, gpd.GeoDataFrame]]] = []
    for band, style_name in (
        ("wrapped_phase", "phase_romao"),
        ("likelihood_mean", "likelihood_mean"),
        ("likelihood_spread", "likelihood_spread"),
        ("coherence", "coherence"),
    ):
        if band in bands:
            shown.append((band, bands[band], STYLES[style_name], outlines))
    if baseline is not None and "wrapped_phase" in bands:
        others = {"baseline": baseline, **{k: v for k, v in outlines.items() if k == "reference"}}
        shown.append(("baseline", bands["wrapped_phase"], STYLES["phase_romao"], others))
    figures = []
    for name, values, style, layers in shown:
        rgb = panel_rgb(values, style, grid, layers, step)
        counts = ", ".join(f"{layer} {len(frame)}" for layer, frame in layers.items())
        title = "classical baseline on the phase" if name == "baseline" else style.label
        figures.append(
            "<figure>"
            + zoomable(encode(rgb), f"{pair_id} {title}")
            + image_tag(encode(legend_strip(style), "png"), f"{style.legend} legend", "png", "legend")
            + f"<figcaption><b>{html.escape(title)}</b>: {html.escape(style.legend)}; "
            f"outlined: {html.escape(counts)}</figcaption></figure>"
        )
    pixel_m = grid.spacing_m * step
    note = (
        f"{pixel_m:g} m per image pixel"
        + ("" if step == 1 else f" (one product pixel in {step} along each axis; the gallery shows them all)")
        + "; click a panel to enlarge it, click again to close."
    )
    return (
        f"<h3>{html.escape(pair_id)}</h3><p>{html.escape(note)}</p>"
        f'<div class="panels">{"".join(figures)}</div>'
    )


def panel_layers(
    pair: Mapping[str, object], detections: gpd.GeoDataFrame
) -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame | None]:
    """The outlines of a report pair record: the pair's ``detections`` (split into
    ``confirmed`` and ``unconfirmed`` where they carry their support) and the reference on
    every band, the baseline apart."""
    baseline = pair["layers"].get("baseline")  # type: ignore[attr-defined]
    outlines = {"detections": detections}
    if "confirmed" in detections:
        confirmed = detections["confirmed"].astype(bool)
        outlines = {"confirmed": detections[confirmed], "unconfirmed": detections[~confirmed]}
    if pair.get("reference") is not None:
        outlines["reference"] = pair["reference"]  # type: ignore[assignment]
    return outlines, baseline
