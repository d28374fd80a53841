"""GeoPackage layers, written atomically."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from massmove.io.atomic import atomic_path


def write_gpkg(path: str | Path, frame: gpd.GeoDataFrame, *, layer: str) -> None:
    """Write a GeoDataFrame (possibly empty, keeping its columns) as a GeoPackage layer."""
    with atomic_path(path) as tmp:
        frame.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
