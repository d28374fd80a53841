"""Cloud-Optimized GeoTIFF products and plain GeoTIFF inputs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from numpy.typing import NDArray
from rasterio.io import MemoryFile

from massmove.errors import InputError
from massmove.grid import Grid
from massmove.io.atomic import atomic_path

COG_BLOCKSIZE = 256
METRES_PER_DEGREE = 111_319.49


def write_cog(
    path: str | Path,
    bands: Sequence[NDArray],
    band_names: Sequence[str],
    grid: Grid,
    tags: Mapping[str, Any],
    *,
    overview_resampling: str = "NEAREST",
) -> None:
    """Write float32 bands as a Cloud-Optimized GeoTIFF, atomically.

    NaN is nodata. Overviews use nearest-neighbour resampling by default, because averaging
    a wrapped phase across the +-pi seam would invent values.
    """
    if len(bands) != len(band_names):
        raise ValueError("one name per band")
    stack = np.stack([np.asarray(b, dtype=np.float32) for b in bands])
    if stack.shape[1:] != grid.shape:
        raise ValueError(f"bands of shape {stack.shape[1:]} do not match grid {grid.shape}")
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": len(bands),
        "dtype": "float32",
        "crs": grid.crs,
        "transform": grid.transform,
        "nodata": float("nan"),
    }
    overview_count = max(1, math.ceil(math.log2(max(grid.shape) / COG_BLOCKSIZE)) + 1)
    with MemoryFile() as memfile, memfile.open(**profile) as mem:
        mem.write(stack)
        mem.update_tags(**{str(k): str(v) for k, v in tags.items()})
        for index, name in enumerate(band_names, start=1):
            mem.set_band_description(index, name)
        with atomic_path(path) as tmp:
            copy_to_cog(mem, tmp, overview_resampling=overview_resampling, OVERVIEW_COUNT=overview_count)


def copy_to_cog(source: Any, destination: str | Path, *, overview_resampling: str, **options: Any) -> None:
    """Copy an open dataset or a raster file to a COG with massmove's block size and compression
    (``options``: further COG creation options)."""
    rasterio.shutil.copy(
        source,
        destination,
        driver="COG",
        BLOCKSIZE=COG_BLOCKSIZE,
        COMPRESS="DEFLATE",
        PREDICTOR="YES",
        OVERVIEW_RESAMPLING=overview_resampling,
        **options,
    )


def read_raster(path: str | Path) -> tuple[NDArray[np.float64], Grid, dict[str, str]]:
    """Read band 1 of a north-up raster with its grid and tags (nodata as NaN)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"raster not found: {path}")
    try:
        with rasterio.open(path) as src:
            data = src.read(1, masked=True).astype(np.float64).filled(np.nan)
            transform = src.transform
            if transform.b != 0 or transform.d != 0 or transform.a != -transform.e:
                raise InputError(f"{path}: expected a north-up raster with square pixels")
            return data, _grid_of(src), src.tags()
    except rasterio.errors.RasterioError as err:
        raise InputError(f"{path}: cannot read raster ({err})") from err


def read_bands(
    path: str | Path, *, required: Sequence[str] = ()
) -> tuple[dict[str, NDArray[np.float32]], Grid, dict[str, str]]:
    """Read all bands of a product by their descriptions; ``required`` bands must be there."""
    path = _existing(path)
    with rasterio.open(path) as src:
        require_bands(path, src.descriptions, required)
        bands = {src.descriptions[i] or f"band{i + 1}": src.read(i + 1) for i in range(src.count)}
        return bands, _grid_of(src), src.tags()


def read_grid(path: str | Path) -> Grid:
    """The grid of a product, without reading its pixels."""
    with rasterio.open(_existing(path)) as src:
        return _grid_of(src)


def band_number(path: str | Path, description: str) -> int:
    """The 1-based number of the band ``description`` names in a raster, without reading its
    pixels; an error naming the file when it has no such band."""
    with rasterio.open(_existing(path)) as src:
        return require_bands(path, src.descriptions, [description])[0] + 1


def read_tags(path: str | Path) -> dict[str, str]:
    """The dataset tags of a raster, without reading its pixels."""
    with rasterio.open(_existing(path)) as src:
        return dict(src.tags())


def raster_crs(path: str | Path) -> str:
    """The CRS of a raster as WKT, without reading its pixels."""
    with rasterio.open(_existing(path)) as src:
        if src.crs is None:
            raise InputError(f"{path}: a raster without a CRS")
        return str(src.crs.to_wkt())


def posting_m_of(src: Any) -> float:
    """Pixel spacing of an open raster in metres (geometric mean of x and y; degrees converted
    at the raster's central latitude)."""
    res_x, res_y = abs(src.transform.a), abs(src.transform.e)
    if src.crs is not None and src.crs.is_geographic:
        latitude = (src.bounds.bottom + src.bounds.top) / 2
        res_x *= METRES_PER_DEGREE * math.cos(math.radians(latitude))
        res_y *= METRES_PER_DEGREE
    elif src.crs is not None and src.crs.linear_units_factor:
        factor = src.crs.linear_units_factor[1]
        res_x, res_y = res_x * factor, res_y * factor
    return math.sqrt(res_x * res_y)


def product_posting_m(path: str | Path) -> float:
    """Pixel spacing of a raster file in metres (:func:`posting_m_of`)."""
    with rasterio.open(_existing(path)) as src:
        return posting_m_of(src)


def require_bands(path: str | Path, descriptions: Sequence[str | None], names: Sequence[str]) -> list[int]:
    """0-based indexes of the bands described ``names``; an error naming the file if one is missing."""
    for name in names:
        if name not in descriptions:
            raise InputError(f"{path}: no band {name!r} (bands: {', '.join(map(str, descriptions))})")
    return [list(descriptions).index(name) for name in names]


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"product not found: {path}")
    return path


def _grid_of(src: Any) -> Grid:
    t = src.transform
    return Grid(t.c, t.f, t.a, src.height, src.width, src.crs.to_string())
