"""DEM of an AOI: Copernicus GLO-30 tiles, mosaicked and projected onto the map CRS."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.merge
import shapely
from rasterio.warp import Resampling, reproject

from massmove.asf.aoi import aoi_grid
from massmove.asf.download import DownloadError, download_verified
from massmove.errors import InputError
from massmove.io.raster_io import write_cog
from massmove.settings import StageSettings

log = logging.getLogger(__name__)
MARGIN_DEG = 0.05


def glo30_tiles(aoi: shapely.Geometry) -> list[str]:
    """Names of the 1 x 1 degree Copernicus GLO-30 tiles the AOI (plus a margin) touches.

    Examples
    --------
    >>> glo30_tiles(shapely.box(7.2, 46.1, 7.4, 46.3))
    ['Copernicus_DSM_COG_10_N46_00_E007_00_DEM']
    """
    west, south, east, north = aoi.buffer(MARGIN_DEG).bounds
    names = []
    for lat in range(math.floor(south), math.floor(north) + 1):
        for lon in range(math.floor(west), math.floor(east) + 1):
            ns = f"{'N' if lat >= 0 else 'S'}{abs(lat):02d}"
            ew = f"{'E' if lon >= 0 else 'W'}{abs(lon):03d}"
            names.append(f"Copernicus_DSM_COG_10_{ns}_00_{ew}_00_DEM")
    return names


def project_dem(
    sources: list[Path],
    aoi: shapely.Geometry,
    crs: str,
    posting_m: float,
    out_tif: str | Path,
    tags: Mapping[str, Any],
) -> None:
    """Mosaic DEM rasters and project them onto a north-up grid in ``crs`` covering the AOI."""
    datasets = [rasterio.open(p) for p in sources]
    try:
        mosaic, transform = rasterio.merge.merge(datasets, nodata=np.nan, dtype="float32")
        src_crs = datasets[0].crs
    finally:
        for ds in datasets:
            ds.close()
    grid = aoi_grid(aoi, crs, posting_m, margin_deg=MARGIN_DEG / 2)
    target = np.full(grid.shape, np.nan, dtype=np.float32)
    reproject(
        mosaic[0],
        target,
        src_transform=transform,
        src_crs=src_crs,
        dst_transform=grid.transform,
        dst_crs=crs,
        resampling=Resampling.bilinear,
        src_nodata=np.nan,
        dst_nodata=np.nan,
    )
    if not np.isfinite(target).any():
        raise InputError(f"the DEM ({', '.join(p.name for p in sources)}) does not cover the AOI")
    write_cog(out_tif, [target], ["height_m"], grid, tags, overview_resampling="AVERAGE")


def fetch_dem(
    aoi: shapely.Geometry,
    config: StageSettings,
    out_tif: str | Path,
    tile_dir: str | Path,
    *,
    base_dir: str | Path = ".",
    session=None,
) -> list[str]:
    """Write the AOI's DEM: from ``dem.path`` when given, else from downloaded GLO-30 tiles.

    Returns the names of the sources used. Tiles over the sea do not exist and are skipped.
    """
    own = config["dem"]["path"]
    tags = {"crs": config["crs"]}
    if own:
        path = Path(own) if Path(own).is_absolute() else Path(base_dir) / own
        if not path.is_file():
            raise InputError(f"config key 'dem.path': file not found: {path}")
        project_dem([path], aoi, config["crs"], config["posting_m"], out_tif, {**tags, "source": path.name})
        return [path.name]
    sources = []
    for name in glo30_tiles(aoi):
        url = config["dem"]["tile_url"].format(tile=name)
        try:
            sources.append(
                download_verified(
                    url,
                    Path(tile_dir) / f"{name}.tif",
                    session=session,
                    retries=config["download"]["retries"],
                    backoff_s=config["download"]["backoff_s"],
                    timeout_s=config["download"]["timeout_s"],
                )
            )
        except DownloadError as err:
            if "HTTP 404" in str(err) or "HTTP 403" in str(err):
                log.info("tile %s does not exist (sea): skipped", name)
                continue
            raise
    if not sources:
        raise InputError("no Copernicus GLO-30 tile exists for the AOI")
    project_dem(
        sources,
        aoi,
        config["crs"],
        config["posting_m"],
        out_tif,
        {**tags, "source": "Copernicus GLO-30: " + ", ".join(p.stem for p in sources)},
    )
    return [p.name for p in sources]
