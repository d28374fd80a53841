"""Orbits, timing and radar grids of synthetic acquisitions.

Every acquisition of a track flies the nominal track (heading, incidence at the scene centre)
displaced across and along the line of sight by a random orbit offset (so pairs have
perpendicular baselines of tens to about 150 m), starts its frame a random number of lines
earlier or later, and carries a small timing error in its annotation: the sub-pixel
misregistration a processor must estimate from the data. ``annotated`` is what the SLC store
records; ``true`` is what the simulator images with.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

import numpy as np

from massmove.geometry import AcquisitionGeometry, ground_to_radar
from massmove.pairs import Acquisition, track_geometry_settings
from massmove.settings import StageSettings
from massmove.simulate.seeds import stream

GRID_MARGIN_PX = 24


class AcquisitionOrbit(NamedTuple):
    """Annotated geometry, the true geometry, and the true misregistration in pixels."""

    annotated: AcquisitionGeometry
    true: AcquisitionGeometry
    misregistration_px: tuple[float, float]


def nominal_geometry(config: StageSettings, track: str, reference_height_m: float) -> AcquisitionGeometry:
    """The nominal track: zero orbit offset, first line at the scene centre, no grid."""
    synthetic = config["synthetic"]
    sensor = synthetic["sensor"]
    settings = track_geometry_settings(synthetic, track)
    heading = math.radians(settings["heading_deg"])
    look = (math.sin(heading + math.pi / 2), math.cos(heading + math.pi / 2))
    altitude = sensor["altitude_m"]
    cross = (altitude - reference_height_m) * math.tan(math.radians(settings["incidence_deg"]))
    ce, cn = synthetic["centre_m"]
    return AcquisitionGeometry(
        wavelength_m=sensor["wavelength_m"],
        heading_deg=settings["heading_deg"],
        velocity_mps=sensor["velocity_mps"],
        position_m=(ce - cross * look[0], cn - cross * look[1], altitude),
        azimuth_time_interval_s=sensor["azimuth_pixel_spacing_m"] / sensor["velocity_mps"],
        near_range_m=0.0,
        range_pixel_spacing_m=sensor["range_pixel_spacing_m"],
        n_lines=1,
        n_samples=1,
        crs=config["crs"],
        first_line_utc="",
    )


def acquisition_orbit(
    config: StageSettings,
    acquisition: Acquisition,
    ground_bounds: tuple[float, float, float, float],
    height_range_m: tuple[float, float],
) -> AcquisitionOrbit:
    """Orbit and radar grid of one acquisition covering ``ground_bounds`` at all heights."""
    synthetic = config["synthetic"]
    rng = stream(synthetic["seed"], "orbit", acquisition.track, acquisition.start_utc.isoformat())
    h_low, h_high = height_range_m
    nominal = nominal_geometry(config, acquisition.track, (h_low + h_high) / 2)
    offsets = synthetic["orbit"]
    b_perp = rng.uniform(-1, 1) * offsets["perpendicular_offset_max_m"]
    b_par = rng.uniform(-1, 1) * offsets["parallel_offset_max_m"]
    # unit line of sight (platform to ground) and its perpendicular pointing up, in the cross-track plane
    ce, cn = synthetic["centre_m"]
    dz = nominal.position_m[2] - (h_low + h_high) / 2
    cross = math.hypot(ce - nominal.position_m[0], cn - nominal.position_m[1])
    sin_t, cos_t = cross / math.hypot(cross, dz), dz / math.hypot(cross, dz)
    look_e, look_n = nominal.look_direction
    shift_e = (b_perp * cos_t + b_par * sin_t) * look_e
    shift_n = (b_perp * cos_t + b_par * sin_t) * look_n
    shift_u = b_perp * sin_t - b_par * cos_t
    centred = nominal.replace(
        position_m=(
            nominal.position_m[0] + shift_e,
            nominal.position_m[1] + shift_n,
            nominal.position_m[2] + shift_u,
        )
    )
    west, south, east, north = ground_bounds
    corners_e = np.array([west, east, east, west] * 2)
    corners_n = np.array([south, south, north, north] * 2)
    corners_h = np.array([h_high] * 4 + [h_low] * 4)
    lines, _ = ground_to_radar(centred, corners_e, corners_n, corners_h)
    ranges = centred.near_range_m + ground_to_radar(centred, corners_e, corners_n, corners_h)[1] * (
        centred.range_pixel_spacing_m
    )
    spacing_az = centred.azimuth_pixel_spacing_m
    first_line = math.floor(lines.min()) - GRID_MARGIN_PX - int(rng.integers(0, 12))
    n_lines = math.ceil(lines.max()) - first_line + GRID_MARGIN_PX
    near_sample = (
        math.floor(ranges.min() / centred.range_pixel_spacing_m) - GRID_MARGIN_PX - int(rng.integers(0, 40))
    )
    near_range = near_sample * centred.range_pixel_spacing_m
    n_samples = math.ceil((ranges.max() - near_range) / centred.range_pixel_spacing_m) + GRID_MARGIN_PX
    along_e, along_n = centred.along_track
    start = centred.position_m
    first_line_time = acquisition.start_utc + dt.timedelta(
        seconds=first_line * centred.azimuth_time_interval_s
    )
    annotated = centred.replace(
        position_m=(
            start[0] + first_line * spacing_az * along_e,
            start[1] + first_line * spacing_az * along_n,
            start[2],
        ),
        near_range_m=near_range,
        n_lines=int(n_lines),
        n_samples=int(n_samples),
        first_line_utc=first_line_time.isoformat(),
    )
    error = synthetic["orbit"]["misregistration_max_px"]
    mis_line, mis_sample = (float(v) for v in rng.uniform(-error, error, size=2))
    true = annotated.replace(
        position_m=(
            annotated.position_m[0] + mis_line * spacing_az * along_e,
            annotated.position_m[1] + mis_line * spacing_az * along_n,
            annotated.position_m[2],
        ),
        near_range_m=annotated.near_range_m + mis_sample * annotated.range_pixel_spacing_m,
    )
    return AcquisitionOrbit(annotated, true, (mis_line, mis_sample))
