import numpy as np
import pytest

from massmove.geometry import AcquisitionGeometry, ground_to_radar
from massmove.grid import Grid, sample_bilinear, sample_on_grid
from massmove.insar.geocode import geocode, grid_radar_coordinates
from massmove.insar.multilook import multilook
from massmove.insar.radarcode import radar_coded_heights


def test_grid_from_bounds_snaps_outwards():
    grid = Grid.from_bounds(3.0, 1.0, 101.0, 49.0, 12.5, "EPSG:2056")
    assert (grid.west_m, grid.north_m, grid.shape) == (0.0, 50.0, (4, 9))
    east, north = grid.centres()
    assert east[0, 0] == 6.25 and north[0, 0] == 43.75


def test_bilinear_is_exact_on_planes_and_nan_outside():
    grid = Grid(0.0, 100.0, 10.0, 10, 10, "EPSG:2056")
    east, north = grid.centres()
    plane = 2.0 * east - 3.0 * north + 7.0
    e = np.array([12.3, 55.5, 94.9, -20.0])
    n = np.array([80.1, 44.4, 6.0, 50.0])
    values = sample_on_grid(grid, plane, e, n)
    np.testing.assert_allclose(values[:3], 2 * e[:3] - 3 * n[:3] + 7, rtol=1e-12)
    assert np.isnan(values[3])
    assert np.isnan(sample_bilinear(plane, np.nan, 1.0))


@pytest.fixture
def scene():
    geometry = AcquisitionGeometry(
        wavelength_m=0.0555,
        heading_deg=347.6,
        velocity_mps=7590.0,
        position_m=(
            2_600_000.0 - 600_000.0 * np.cos(np.radians(12.4)),
            1_100_000.0 + 600_000.0 * np.sin(np.radians(12.4)) - 3000,
            693_000.0,
        ),
        azimuth_time_interval_s=13.97 / 7590.0,
        near_range_m=0.0,
        range_pixel_spacing_m=2.33,
        n_lines=1,
        n_samples=1,
        crs="EPSG:2056",
        first_line_utc="",
    )
    dem_grid = Grid(2_596_000.0, 1_104_000.0, 25.0, 320, 320, "EPSG:2056")
    east, north = dem_grid.centres()
    dem = 1500.0 + 300.0 * np.sin(east / 900.0) * np.cos(north / 700.0)
    # radar grid covering the DEM
    line, sample = ground_to_radar(geometry, east, north, dem)
    first_line, first_sample = np.floor(line.min()) - 5, np.floor(sample.min()) - 5
    geometry = geometry.replace(
        position_m=tuple(
            np.array(geometry.position_m) + first_line * 13.97 * np.array([*geometry.along_track, 0])
        ),
        near_range_m=first_sample * 2.33,
        n_lines=int(line.max() - first_line + 10),
        n_samples=int(sample.max() - first_sample + 10),
    )
    return geometry, dem, dem_grid


def test_radar_coded_heights_match_the_dem(scene):
    geometry, dem, dem_grid = scene
    heights = radar_coded_heights(geometry, dem, dem_grid, dem_grid.bounds, 4.0)
    # the DEM square, seen rotated by the heading, fills most of the radar grid
    assert np.isfinite(heights).mean() > 0.65
    # a smooth DEM: the mean height of a pixel footprint equals the DEM there to a metre or so
    line, sample = np.mgrid[20 : geometry.n_lines - 20 : 7, 200 : geometry.n_samples - 200 : 13]
    from massmove.geometry import radar_to_ground

    east, north = radar_to_ground(geometry, line, sample, heights[line, sample])
    dem_there = sample_on_grid(dem_grid, dem, east, north)
    ok = np.isfinite(dem_there) & np.isfinite(heights[line, sample])
    assert np.median(np.abs(dem_there[ok] - heights[line, sample][ok])) < 1.0


def test_geocoding_round_trip(scene):
    """A field defined on the ground, put into radar geometry, comes back on the map grid."""
    geometry, dem, dem_grid = scene
    heights = radar_coded_heights(geometry, dem, dem_grid, dem_grid.bounds, 4.0)
    from massmove.geometry import radar_to_ground

    line, sample = np.mgrid[0 : geometry.n_lines, 0 : geometry.n_samples].astype(float)
    east, north = radar_to_ground(geometry, line, sample, heights)
    field = np.exp(1j * (east - 2_600_000.0) / 300.0) * (1 + (north - 1_100_000.0) / 1e4)
    looks = (1, 4)
    product_grid = Grid(2_598_000.0, 1_102_000.0, 12.5, 240, 240, "EPSG:2056")
    grid_line, grid_sample = grid_radar_coordinates(geometry, product_grid, dem, dem_grid)
    geocoded = geocode(multilook(np.nan_to_num(field), looks), grid_line, grid_sample, looks)
    pe, pn = product_grid.centres()
    expected = np.exp(1j * (pe - 2_600_000.0) / 300.0) * (1 + (pn - 1_100_000.0) / 1e4)
    ok = np.isfinite(geocoded)
    assert ok.mean() > 0.97
    phase_error = np.angle(geocoded[ok] * np.conj(expected[ok]))
    assert np.percentile(np.abs(phase_error), 95) < 0.1


def test_point_sampler_matches_sample_on_grid():
    from massmove.grid import PointSampler

    grid = Grid(100.0, 900.0, 5.0, 60, 80, "EPSG:2056")
    values = np.random.default_rng(3).normal(size=grid.shape)
    rng = np.random.default_rng(4)
    east = rng.uniform(90, 510, 2000)
    north = rng.uniform(590, 910, 2000)
    expected = sample_on_grid(grid, values, east, north)
    got = PointSampler(grid, east, north).bilinear(values)
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
    assert np.isnan(got).any() and np.isfinite(got).any()
