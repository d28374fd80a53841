"""Raster images of the report: bands as colour images at their own pixels, polygons outlined
on them, encoded once (PNG or JPEG bytes; Pillow, no display, no network).

Panels and gallery crops are drawn pixel for pixel rather than through a plotting figure: a
product pixel is one image pixel (or a whole block of them where a large run is decimated), so
a 150 m pattern keeps its 12 px at 12.5 m and the report's weight follows the pixels shown.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import rasterio.features  # noqa: E402
import rasterio.transform  # noqa: E402
import shapely  # noqa: E402
from numpy.typing import NDArray  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from massmove.colormaps import BandStyle  # noqa: E402
from massmove.grid import Grid  # noqa: E402

#: grey of pixels without data (NaN)
NO_DATA_RGB = (96, 96, 96)


def coloured(values: NDArray, style: BandStyle) -> NDArray[np.uint8]:
    """RGB (rows, cols, 3) of ``values`` in ``style``; NaN in :data:`NO_DATA_RGB`."""
    values = np.asarray(values, dtype=np.float64)
    scaled = np.clip((values - style.vmin) / (style.vmax - style.vmin), 0.0, 1.0)
    rgb = (style.cmap(np.nan_to_num(scaled))[..., :3] * 255.0 + 0.5).astype(np.uint8)
    rgb[~np.isfinite(values)] = NO_DATA_RGB
    return rgb


def decimation(shape: tuple[int, int], max_px: int) -> int:
    """The step that keeps both sides of ``shape`` within ``max_px`` (1: every pixel).

    Examples
    --------
    >>> decimation((800, 800), 1024), decimation((5600, 4000), 1024)
    (1, 6)
    """
    return max(1, -(-max(shape) // max_px))


def outline_mask(geometries: Iterable[shapely.Geometry], grid: Grid, step: int = 1) -> NDArray[np.bool_]:
    """The pixels of ``grid`` (every ``step``-th) that the outlines of ``geometries`` cross."""
    shape = (-(-grid.height // step), -(-grid.width // step))
    lines = [shapely.boundary(g) for g in geometries if g is not None and not g.is_empty]
    if not lines:
        return np.zeros(shape, dtype=bool)
    transform = rasterio.transform.from_origin(
        grid.west_m, grid.north_m, grid.spacing_m * step, grid.spacing_m * step
    )
    burnt = rasterio.features.rasterize(
        ((line, 1) for line in lines), out_shape=shape, transform=transform, all_touched=True, dtype=np.uint8
    )
    return burnt.astype(bool)


def encode(rgb: NDArray[np.uint8], kind: str = "jpeg") -> bytes:
    """PNG or JPEG bytes of an RGB array; the same array gives the same bytes. JPEG at quality
    75 without chroma subsampling, so that 1 px outlines keep their hue."""
    buffer = io.BytesIO()
    image = Image.fromarray(np.ascontiguousarray(rgb), mode="RGB")
    if kind == "png":
        image.save(buffer, format="PNG", optimize=True)
    else:
        image.save(buffer, format="JPEG", quality=75, subsampling=0, optimize=True)
    return buffer.getvalue()


def legend_strip(style: BandStyle, width_px: int = 256, height_px: int = 10) -> NDArray[np.uint8]:
    """A horizontal colour bar of ``style`` from ``vmin`` (left) to ``vmax`` (right)."""
    ramp = np.linspace(style.vmin, style.vmax, width_px)[None, :].repeat(height_px, axis=0)
    return coloured(ramp, style)


def labelled(rgb: NDArray[np.uint8], text: str) -> NDArray[np.uint8]:
    """``rgb`` with ``text`` written in its top-left corner (Pillow's bitmap font on a dark box)."""
    image = Image.fromarray(np.ascontiguousarray(rgb), mode="RGB")
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((2, 1), text)
    draw.rectangle((0, 0, right + 2, bottom + 1), fill=(0, 0, 0))
    draw.text((2, 1), text, fill=(255, 255, 255))
    return np.asarray(image)
