"""GeoPackage layers, written atomically and reproducibly."""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pyogrio
import pyproj

from massmove.errors import InputError
from massmove.io.atomic import atomic_path
from massmove.io.qgis import embed_styles


def reproducible_timestamp() -> str:
    """The time written into GeoPackage metadata: ``SOURCE_DATE_EPOCH`` (the reproducible-builds
    convention) when set, else the Unix epoch, so that the same features give the same bytes.

    Examples
    --------
    >>> reproducible_timestamp() if "SOURCE_DATE_EPOCH" not in os.environ else "1970-01-01T00:00:00.000Z"
    '1970-01-01T00:00:00.000Z'
    """
    epoch_s = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    moment = datetime.datetime.fromtimestamp(epoch_s, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@contextlib.contextmanager
def _gdal_option(name: str, value: str) -> Iterator[None]:
    previous = pyogrio.get_gdal_config_option(name)
    pyogrio.set_gdal_config_options({name: value})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({name: previous})


def write_gpkg(path: str | Path, frame: gpd.GeoDataFrame, *, layer: str) -> None:
    """Write a GeoDataFrame (possibly empty, keeping its columns) as a GeoPackage layer.

    The GeoPackage's ``last_change`` stamps take :func:`reproducible_timestamp` (GDAL's
    ``OGR_CURRENT_DATE``), so two runs that find the same features write identical files.
    """
    write_gpkg_layers(path, {layer: frame})


def write_gpkg_layers(
    path: str | Path, layers: Mapping[str, gpd.GeoDataFrame], *, styles: Mapping[str, str] | None = None
) -> None:
    """Write several layers into one GeoPackage, in order (the first is what a reader that
    names no layer opens), atomically and reproducibly as :func:`write_gpkg`; ``styles``:
    layer name -> QGIS QML, written into the file as each layer's default style
    (:func:`massmove.io.qgis.embed_styles`)."""
    timestamp = reproducible_timestamp()
    with atomic_path(path) as tmp, _gdal_option("OGR_CURRENT_DATE", timestamp):
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        if styles:
            embed_styles(tmp, styles, timestamp)


#: the table of QGIS styles a GeoPackage may hold beside its layers
STYLE_TABLE = "layer_styles"


def first_layer(path: str | Path) -> str | None:
    """The first data layer of a vector file (a GeoPackage's style table set aside), None when
    it has none."""
    names = [str(name) for name, _ in pyogrio.list_layers(path) if name != STYLE_TABLE]
    return names[0] if names else None


def vector_crs(path: str | Path, layer: str | None = None) -> str:
    """The CRS of a vector file's layer (its first data layer by default) as WKT, without
    reading its features; an error naming the file when it has none."""
    info = pyogrio.read_info(path, layer=layer if layer is not None else first_layer(path))
    if not info["crs"]:
        raise InputError(f"{path}: a vector without a CRS (assign one, e.g. ogr2ogr -a_srs EPSG:2056)")
    return str(pyproj.CRS.from_user_input(info["crs"]).to_wkt())


def read_vector(path: str | Path, *, what: str, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector file (GeoPackage, Shapefile, GeoJSON, ...), its first layer or ``layer``;
    ``what`` it holds names it in the error when it is missing, unreadable, or without a CRS
    (the one rule for every vector massmove reads: polygons are never assumed to be in some
    CRS; GeoJSON is WGS84 by its specification)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found: {path}")
    try:
        if layer is None and path.suffix.lower() == ".gpkg":
            layer = first_layer(path)
        frame = gpd.read_file(path, engine="pyogrio", layer=layer)
    except Exception as err:  # pyogrio raises several types for unreadable files
        raise InputError(f"{path}: cannot read {what} ({err})") from err
    if frame.crs is None:
        raise InputError(f"{path}: {what} without a CRS (assign one, e.g. ogr2ogr -a_srs EPSG:2056)")
    return frame
