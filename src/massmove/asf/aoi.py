"""The area of interest: a bbox, WKT or a vector file, in geographic coordinates."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import shapely
from rasterio.warp import transform_bounds

from massmove.errors import ConfigError, InputError
from massmove.grid import Grid
from massmove.io.vector import read_vector
from massmove.settings import aoi_path


def aoi_geometry(aoi: Sequence[float] | str, *, base_dir: str | Path = ".") -> shapely.Geometry:
    """The AOI as a (multi)polygon in longitude/latitude (EPSG:4326).

    Parameters
    ----------
    aoi
        ``[west, south, east, north]`` in degrees, a WKT polygon in degrees, or the path of a
        vector file (GeoJSON, GeoPackage, Shapefile; any CRS, reprojected).
    base_dir
        Directory relative paths are resolved against (the run directory).

    Examples
    --------
    >>> aoi_geometry([7.0, 46.0, 7.5, 46.3]).bounds
    (7.0, 46.0, 7.5, 46.3)
    """
    path_named = aoi_path(aoi)
    if isinstance(aoi, str) and path_named is None:
        try:
            geometry = shapely.from_wkt(aoi)
        except shapely.errors.GEOSException as err:
            raise ConfigError(f"config key 'aoi': invalid WKT ({err})") from err
        _check_valid([geometry], "the WKT polygon")
    elif path_named is not None:
        path = Path(path_named) if Path(path_named).is_absolute() else Path(base_dir) / path_named
        if not path.is_file():
            raise InputError(f"config key 'aoi': file not found: {path}")
        frame = read_vector(path, what="AOI polygons")
        kinds = sorted(set(frame.geometry.geom_type.dropna()) - {"Polygon", "MultiPolygon"})
        if kinds or frame.empty:
            held = ", ".join(kinds) if kinds else "nothing"
            raise ConfigError(f"config key 'aoi': {path} holds {held}, not polygons")
        _check_valid(frame.geometry.values, str(path))
        geometry = shapely.union_all(frame.to_crs("EPSG:4326").geometry.values)
    else:
        west, south, east, north = (float(v) for v in aoi)
        if not (west < east and south < north):
            raise ConfigError(f"config key 'aoi': bbox {list(aoi)} must be [west, south, east, north]")
        geometry = shapely.box(west, south, east, north)
    if geometry.is_empty or geometry.area == 0:
        raise ConfigError("config key 'aoi': the area of interest is empty")
    west, south, east, north = geometry.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise ConfigError(f"config key 'aoi': bounds {geometry.bounds} are not longitude/latitude degrees")
    return geometry


def _check_valid(geometries: Sequence[shapely.Geometry], where: str) -> None:
    """Self-intersecting or otherwise invalid polygons are refused with GEOS's reason."""
    for geometry in geometries:
        if geometry is not None and not shapely.is_valid(geometry):
            reason = shapely.is_valid_reason(geometry)
            raise ConfigError(f"config key 'aoi': {where} is not a valid polygon ({reason})")


def aoi_grid(aoi: shapely.Geometry, crs: str, posting_m: float, *, margin_deg: float = 0.0) -> Grid:
    """The north-up grid in ``crs`` at ``posting_m`` covering the AOI (grown by ``margin_deg``)."""
    west, south, east, north = transform_bounds(
        "EPSG:4326", crs, *aoi.buffer(margin_deg).bounds, densify_pts=21
    )
    return Grid.from_bounds(west, south, east, north, posting_m, crs)
