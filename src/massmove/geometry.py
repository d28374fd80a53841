"""Zero-Doppler radar geometry of a right-looking SAR on a straight orbit over a flat earth.

The map CRS (projected, metres) is the local Cartesian frame: easting, northing and height.
The orbit is a straight line at constant height, flown along ``heading_deg`` (clockwise from
north); a ground point is imaged at the azimuth time of closest approach, so its line depends
only on its along-track position and its sample on its slant range. Over a scene of tens of
km this is the geometry of a debursted Sentinel-1 IW SLC to within the accuracy a
processor needs: incidence grows across the swath, heights shift points towards the
sensor (layover) and perpendicular baselines make topographic phase.

Phase convention used throughout massmove: an SLC sample carries ``exp(-i 4 pi R / wavelength)``;
an interferogram is ``reference * conj(secondary)``, so its phase is
``4 pi / wavelength * (R_secondary - R_reference)``: positive for a range increase (motion away
from the sensor) between the reference and the secondary date.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class AcquisitionGeometry:
    """Everything a processor needs to map between radar and map geometry.

    Attributes
    ----------
    wavelength_m
        Radar wavelength.
    heading_deg
        Flight direction, clockwise from north.
    velocity_mps
        Platform speed along the heading.
    position_m
        Platform (easting, northing, height) at the time of the first line.
    azimuth_time_interval_s
        Time between lines.
    near_range_m
        Slant range of the first sample.
    range_pixel_spacing_m
        Slant-range spacing of samples.
    n_lines, n_samples
        SLC size.
    crs
        Map CRS of ``position_m``.
    first_line_utc
        ISO time of the first line.
    """

    wavelength_m: float
    heading_deg: float
    velocity_mps: float
    position_m: tuple[float, float, float]
    azimuth_time_interval_s: float
    near_range_m: float
    range_pixel_spacing_m: float
    n_lines: int
    n_samples: int
    crs: str
    first_line_utc: str

    @property
    def along_track(self) -> tuple[float, float]:
        """Unit vector (east, north) of the flight direction."""
        heading = math.radians(self.heading_deg)
        return (math.sin(heading), math.cos(heading))

    @property
    def look_direction(self) -> tuple[float, float]:
        """Unit vector (east, north) of the horizontal look direction (right-looking)."""
        heading = math.radians(self.heading_deg + 90.0)
        return (math.sin(heading), math.cos(heading))

    @property
    def azimuth_pixel_spacing_m(self) -> float:
        """Along-track distance between lines."""
        return self.velocity_mps * self.azimuth_time_interval_s

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable form."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> AcquisitionGeometry:
        """Rebuild from :meth:`to_dict`."""
        fields = {f.name for f in dataclasses.fields(cls)}
        missing = fields - set(values)
        if missing:
            raise KeyError(f"geometry lacks {sorted(missing)}")
        kwargs = {name: values[name] for name in fields}
        kwargs["position_m"] = tuple(float(v) for v in kwargs["position_m"])
        return cls(**kwargs)

    def replace(self, **changes: Any) -> AcquisitionGeometry:
        """Copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def _track_coordinates(
    geometry: AcquisitionGeometry, east_m: ArrayLike, north_m: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Along-track and cross-track ground distance of points from the first-line position."""
    east_rel = np.asarray(east_m, dtype=np.float64) - geometry.position_m[0]
    north_rel = np.asarray(north_m, dtype=np.float64) - geometry.position_m[1]
    along_e, along_n = geometry.along_track
    look_e, look_n = geometry.look_direction
    return east_rel * along_e + north_rel * along_n, east_rel * look_e + north_rel * look_n


def slant_range(
    geometry: AcquisitionGeometry, east_m: ArrayLike, north_m: ArrayLike, height_m: ArrayLike
) -> FloatArray:
    """Zero-Doppler slant range from the orbit to ground points, in metres."""
    _, cross = _track_coordinates(geometry, east_m, north_m)
    dz = geometry.position_m[2] - np.asarray(height_m, dtype=np.float64)
    return np.sqrt(cross * cross + dz * dz)


def ground_to_radar(
    geometry: AcquisitionGeometry, east_m: ArrayLike, north_m: ArrayLike, height_m: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Map ground points to fractional (line, sample) coordinates.

    Examples
    --------
    >>> g = AcquisitionGeometry(0.0555, 0.0, 7000.0, (0.0, 0.0, 700000.0), 0.002, 850000.0,
    ...                         2.33, 100, 100, "EPSG:2056", "2018-08-01T00:00:00")
    >>> line, sample = ground_to_radar(g, 533000.0, 28.0, 0.0)
    >>> round(float(line), 3)
    2.0
    """
    along, _ = _track_coordinates(geometry, east_m, north_m)
    line = along / geometry.azimuth_pixel_spacing_m
    sample = (slant_range(geometry, east_m, north_m, height_m) - geometry.near_range_m) / (
        geometry.range_pixel_spacing_m
    )
    return line, sample


def radar_to_ground(
    geometry: AcquisitionGeometry, line: ArrayLike, sample: ArrayLike, height_m: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Map (line, sample) at known heights back to (easting, northing); NaN beyond nadir."""
    along = np.asarray(line, dtype=np.float64) * geometry.azimuth_pixel_spacing_m
    rng = geometry.near_range_m + np.asarray(sample, dtype=np.float64) * geometry.range_pixel_spacing_m
    dz = geometry.position_m[2] - np.asarray(height_m, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        cross = np.sqrt(rng * rng - dz * dz)
    along_e, along_n = geometry.along_track
    look_e, look_n = geometry.look_direction
    east = geometry.position_m[0] + along * along_e + cross * look_e
    north = geometry.position_m[1] + along * along_n + cross * look_n
    return east, north


def incidence_angle_deg(
    geometry: AcquisitionGeometry, east_m: ArrayLike, north_m: ArrayLike, height_m: ArrayLike
) -> FloatArray:
    """Incidence angle on the ellipsoid-parallel plane at ground points, in degrees."""
    _, cross = _track_coordinates(geometry, east_m, north_m)
    dz = geometry.position_m[2] - np.asarray(height_m, dtype=np.float64)
    return np.degrees(np.arctan2(cross, dz))


def line_of_sight(
    geometry: AcquisitionGeometry, east_m: ArrayLike, north_m: ArrayLike, height_m: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Unit vector (east, north, up) from ground points towards the sensor."""
    _, cross = _track_coordinates(geometry, east_m, north_m)
    dz = geometry.position_m[2] - np.asarray(height_m, dtype=np.float64)
    rng = np.sqrt(cross * cross + dz * dz)
    look_e, look_n = geometry.look_direction
    horizontal = -cross / rng
    return horizontal * look_e, horizontal * look_n, dz / rng


def platform_position(geometry: AcquisitionGeometry, line: ArrayLike) -> FloatArray:
    """Platform (east, north, up) at fractional lines; shape ``line.shape + (3,)``."""
    along = np.asarray(line, dtype=np.float64)[..., None] * geometry.azimuth_pixel_spacing_m
    along_e, along_n = geometry.along_track
    start = np.asarray(geometry.position_m, dtype=np.float64)
    return start + along * np.array([along_e, along_n, 0.0])


def baseline_components(
    reference: AcquisitionGeometry,
    secondary: AcquisitionGeometry,
    east_m: float,
    north_m: float,
    height_m: float,
) -> tuple[float, float]:
    """Perpendicular and parallel baseline (metres) of a pair at a ground point.

    The perpendicular baseline is positive when the secondary orbit lies above the reference
    line of sight (farther from the ground, on the side away from the look direction).
    """
    line_ref, _ = ground_to_radar(reference, east_m, north_m, height_m)
    line_sec, _ = ground_to_radar(secondary, east_m, north_m, height_m)
    sat_ref = platform_position(reference, line_ref)
    sat_sec = platform_position(secondary, line_sec)
    ground = np.array([east_m, north_m, height_m])
    look = ground - sat_ref
    look /= np.linalg.norm(look)
    baseline = sat_sec - sat_ref
    parallel = float(baseline @ look)
    perpendicular_vec = baseline - parallel * look
    # "up" side of the line of sight: the perpendicular direction with a positive height part
    up_normal = np.array([*(-np.array(reference.look_direction) * look[2]), 0.0])
    up_normal[2] = float(np.hypot(look[0], look[1]))
    sign = 1.0 if perpendicular_vec @ up_normal >= 0 else -1.0
    return sign * float(np.linalg.norm(perpendicular_vec)), parallel
