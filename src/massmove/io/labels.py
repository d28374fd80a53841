"""Label polygons: read one class from a vector file, rasterise onto a grid.

Shared by training (labels of patches), evaluation (references) and the report, so it sits
in ``io`` where all of them reach it.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray
from rasterio import features

from massmove.errors import InputError
from massmove.grid import Grid
from massmove.io.vector import read_vector


def rasterise_labels(polygons: gpd.GeoDataFrame, grid: Grid) -> NDArray[np.uint8]:
    """1 where a polygon covers a pixel centre of the grid, else 0 (polygons in any CRS)."""
    if polygons.empty:
        return np.zeros(grid.shape, dtype=np.uint8)
    if polygons.crs is None:
        raise InputError("label polygons without a CRS cannot be placed on the product grid")
    frame = polygons.to_crs(grid.crs)
    shapes = ((geom, 1) for geom in frame.geometry if geom is not None and not geom.is_empty)
    return features.rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=0, dtype="uint8")


def read_labels(
    path: str | Path, *, label_class: str, class_column: str | None = "class"
) -> gpd.GeoDataFrame:
    """Label polygons of one class from a vector file (any CRS)."""
    frame = read_vector(path, what="label polygons")
    if class_column is None:
        return frame
    if class_column not in frame.columns:
        raise InputError(f"{path}: no column {class_column!r} (columns: {', '.join(frame.columns)})")
    return frame[frame[class_column] == label_class]
