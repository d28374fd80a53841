import math

import numpy as np
import pytest

from massmove.geometry import (
    AcquisitionGeometry,
    baseline_components,
    ground_to_radar,
    incidence_angle_deg,
    line_of_sight,
    radar_to_ground,
    slant_range,
)


@pytest.fixture
def geometry() -> AcquisitionGeometry:
    # ascending, heading 347.6 deg, looking east-north-east, 693 km high
    return AcquisitionGeometry(
        wavelength_m=0.055465763,
        heading_deg=347.6,
        velocity_mps=7590.0,
        position_m=(2_000_000.0, 1_100_000.0, 693_000.0),
        azimuth_time_interval_s=13.97 / 7590.0,
        near_range_m=805_000.0,
        range_pixel_spacing_m=2.329562,
        n_lines=2000,
        n_samples=20000,
        crs="EPSG:2056",
        first_line_utc="2018-08-01T17:24:30",
    )


def test_round_trip_radar_ground(geometry):
    rng = np.random.default_rng(0)
    line = rng.uniform(0, 2000, 500)
    sample = rng.uniform(0, 20000, 500)
    height = rng.uniform(400, 4000, 500)
    east, north = radar_to_ground(geometry, line, sample, height)
    line_back, sample_back = ground_to_radar(geometry, east, north, height)
    np.testing.assert_allclose(line_back, line, atol=1e-6)
    np.testing.assert_allclose(sample_back, sample, atol=1e-6)


def test_height_moves_points_towards_the_sensor(geometry):
    east, north = radar_to_ground(geometry, 100.0, 5000.0, 0.0)
    _, sample_high = ground_to_radar(geometry, east, north, 1000.0)
    incidence = math.radians(float(incidence_angle_deg(geometry, east, north, 0.0)))
    expected = -1000.0 * math.cos(incidence) / geometry.range_pixel_spacing_m
    assert float(sample_high) - 5000.0 == pytest.approx(expected, rel=1e-3)


def test_incidence_grows_across_the_swath(geometry):
    near = radar_to_ground(geometry, 0.0, 0.0, 0.0)
    far = radar_to_ground(geometry, 0.0, 19999.0, 0.0)
    assert 30 < incidence_angle_deg(geometry, *near, 0.0) < incidence_angle_deg(geometry, *far, 0.0) < 47


def test_line_of_sight_is_a_unit_vector_pointing_up_and_back(geometry):
    east, north = radar_to_ground(geometry, 10.0, 10000.0, 500.0)
    los = np.array(line_of_sight(geometry, east, north, 500.0))
    assert np.linalg.norm(los) == pytest.approx(1.0)
    look = np.array([*geometry.look_direction, 0.0])
    assert los[2] > 0 and los @ look < 0


def test_perpendicular_baseline_of_a_displaced_orbit(geometry):
    east, north = radar_to_ground(geometry, 1000.0, 10000.0, 0.0)
    rng = float(slant_range(geometry, east, north, 0.0))
    cos_t = (geometry.position_m[2]) / rng
    sin_t = math.sqrt(1 - cos_t**2)
    look = geometry.look_direction
    # move the orbit 100 m perpendicular to the line of sight (up and away from the look)
    moved = geometry.replace(
        position_m=(
            geometry.position_m[0] + 100 * cos_t * look[0],
            geometry.position_m[1] + 100 * cos_t * look[1],
            geometry.position_m[2] + 100 * sin_t,
        )
    )
    perpendicular, parallel = baseline_components(geometry, moved, float(east), float(north), 0.0)
    assert perpendicular == pytest.approx(100.0, abs=0.05)
    assert parallel == pytest.approx(0.0, abs=0.05)
