import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from massmove.config import resolve_config
from massmove.grid import Grid
from massmove.io.slc_store import SlcScene
from massmove.pairs import synthetic_pairs
from massmove.simulate.atmosphere import tropospheric_delay
from massmove.simulate.ground import ground_grid, processor_dem, product_grid, simulate_ground
from massmove.simulate.imaging import form_slc, track_context
from massmove.simulate.landcover import LandCover
from massmove.simulate.landslides import draw_areas
from massmove.simulate.population import Terrain, clustered_centres
from massmove.simulate.seeds import stream
from massmove.simulate.terrain import alpine_terrain, slope_aspect


def test_terrain_is_alpine(default_config):
    grid = ground_grid(default_config)
    height = alpine_terrain(grid, default_config["synthetic"]["terrain"], stream(11, "terrain"))
    slope, _, _ = slope_aspect(height, grid.spacing_m)
    assert height.min() == pytest.approx(450.0) and height.max() == pytest.approx(3900.0)
    # Alpine slopes: median about 30 degrees, a tail of cliffs, a flat valley floor
    assert 22 < np.median(slope) < 38
    assert 40 < np.percentile(slope, 90) < 60
    assert (slope < 2).mean() > 0.03


def test_areas_follow_the_truncated_inverse_gamma(default_config):
    params = default_config["synthetic"]["landslides"]
    areas = draw_areas(50000, params, np.random.default_rng(0))
    assert areas.min() >= params["area_min_m2"] and areas.max() <= params["area_max_m2"]
    # against scipy's inverse gamma (an independent implementation), truncated to the bounds
    shape = params["area_exponent"] - 1
    law = stats.invgamma(shape, scale=params["area_rollover_m2"] * params["area_exponent"])
    low, high = law.cdf(params["area_min_m2"]), law.cdf(params["area_max_m2"])
    result = stats.kstest(areas, lambda a: (law.cdf(a) - low) / (high - low))
    assert result.statistic < 0.01
    # the density (per unit area) peaks at the roll-over
    edges = np.geomspace(params["area_min_m2"], 4 * params["area_rollover_m2"], 25)
    counts, _ = np.histogram(areas, edges)
    density = counts / np.diff(edges)
    peak = np.sqrt(edges[:-1] * edges[1:])[np.argmax(density)]
    assert peak == pytest.approx(params["area_rollover_m2"], rel=0.3)


def test_area_tail_is_a_power_law(default_config):
    params = {**default_config["synthetic"]["landslides"], "area_max_m2": 1e12}
    areas = draw_areas(200000, params, np.random.default_rng(1))
    # maximum-likelihood exponent of the tail well above the roll-over (Clauset et al. 2009)
    tail_min = 50 * params["area_rollover_m2"]
    tail = areas[areas >= tail_min]
    exponent = 1 + len(tail) / np.sum(np.log(tail / tail_min))
    assert exponent == pytest.approx(params["area_exponent"], abs=0.08)


@pytest.fixture(scope="module")
def default_ground(default_config):
    return simulate_ground(default_config)


def test_every_kind_sits_where_inventories_find_it(default_config, default_ground):
    ground, synthetic = default_ground, default_config["synthetic"]
    kinds = Counter(m.kind for m in ground.movements)
    assert kinds["landslide"] >= 30 and kinds["rock_glacier"] >= 3 and kinds["slope_deformation"] >= 1
    terrain = Terrain(ground.grid, ground.height_m, ground.landcover)
    east, north = ground.grid.centres()
    glaciers = synthetic["rock_glaciers"]
    for movement in ground.movements:
        assert movement.outline().area == pytest.approx(movement.area_m2, rel=0.25)
        row, col = terrain.index(*movement.centre_m)
        if movement.kind == "landslide":
            low, high = synthetic["landslides"]["slope_deg"]
            assert low <= terrain.slope_deg[row, col] <= high
            assert ground.landcover[row, col] not in (LandCover.WATER, LandCover.GLACIER)
        elif movement.kind == "rock_glacier":
            assert glaciers["elevation_m"][0] <= ground.height_m[row, col] <= glaciers["elevation_m"][1]
            rs, cs = movement.window(ground.grid)
            debris = movement.normalised_radius(east[rs, cs], north[rs, cs]) < 1
            assert (ground.landcover[rs, cs][debris] == LandCover.ROCK).all()
            # a rock wall above it within reach sheds its debris
            near = (
                np.hypot(east - movement.centre_m[0], north - movement.centre_m[1])
                <= glaciers["wall_distance_m"] * 1.2
            )
            wall = near & (terrain.slope_deg >= glaciers["wall_slope_deg"])
            assert ground.height_m[wall].max() >= ground.height_m[row, col] + glaciers["wall_rise_m"]
            assert movement.profile_exponent == glaciers["profile_exponent"]
        elif movement.kind == "compartment":
            host = next(
                m
                for m in ground.movements
                if m.kind == "slope_deformation"
                and m.movement_id < movement.movement_id
                and float(m.normalised_radius(np.array(movement.centre_m[0]), np.array(movement.centre_m[1])))
                < 1
            )
            # it moves on top of its host: both velocities add up at its centre
            speed = np.linalg.norm(ground.velocity_m_per_yr[:, row, col])
            assert speed > movement.velocity_m_per_yr * 0.5
            assert host.velocity_m_per_yr < movement.velocity_m_per_yr
    # every body moves, and only inside its outline
    moving = np.linalg.norm(ground.velocity_m_per_yr, axis=0) > 0
    assert np.all(ground.movement_id[moving] > 0)


def test_neyman_scott_clusters_and_a_single_member_process_does_not():
    grid = Grid(0.0, 20000.0, 50.0, 400, 400, "EPSG:2056")
    flat = np.ones(grid.shape)

    def ratio(points):
        points = np.asarray(points)
        distance = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(distance, np.inf)
        return distance.min(axis=1).mean() / (0.5 * np.sqrt(20000.0**2 / len(points)))

    independent = clustered_centres(flat, grid, 400, 1.0, 300.0, np.random.default_rng(1))
    clustered = clustered_centres(flat, grid, 400, 4.0, 300.0, np.random.default_rng(1))
    assert 300 < len(independent) < 500 and 300 < len(clustered) < 500
    assert 0.9 < ratio(independent) < 1.1  # Clark-Evans R of a Poisson process (edges aside)
    assert ratio(clustered) < 0.6  # ISSLIDE's labels: about 0.5
    # no ground, no bodies; the intensity thins the clusters: none lands where it is 0
    assert clustered_centres(np.zeros(grid.shape), grid, 400, 4.0, 300.0, np.random.default_rng(1)) == []
    half = flat.copy()
    half[:, :200] = 0.0
    points = np.asarray(clustered_centres(half, grid, 400, 4.0, 300.0, np.random.default_rng(2)))
    assert (points[:, 0] >= 10000.0 - 25.0).all()


def test_turbulence_variance_follows_the_scene_size(default_config):
    params = {**default_config["synthetic"]["atmosphere"], "stratified_std_m_per_km": 0.0}
    grid = ground_grid(default_config)
    flat = np.zeros(grid.shape)
    delay = tropospheric_delay(grid, flat, params, stream(1, "atm"))
    # a 11 km scene holds part of the variance of a 20 km outer-scale process
    assert 0.5 * params["turbulence_rms_m"] < delay.std() < params["turbulence_rms_m"]


@pytest.fixture(scope="module")
def small_pair(small_config):
    ground = simulate_ground(small_config)
    context = track_context(small_config, ground, "A088")
    pair = synthetic_pairs(small_config)[0]
    slcs = {
        a.scene_id: form_slc(small_config, ground, context, a.scene_id)
        for a in (pair.reference, pair.secondary)
    }
    return ground, context, pair, slcs


@pytest.mark.slow
def test_slc_is_calibrated_speckle(small_config, small_pair):
    ground, context, pair, slcs = small_pair
    slc = slcs[pair.reference.scene_id]
    orbit = context.orbits[pair.reference.scene_id]
    assert slc.shape == (orbit.annotated.n_lines, orbit.annotated.n_samples)
    # over the scene, fully developed speckle: intensity has the exponential law (std = mean)
    inner = slc[orbit.annotated.n_lines // 3 : 2 * orbit.annotated.n_lines // 3, 600:-600]
    intensity = np.abs(inner) ** 2
    assert 0.005 < intensity.mean() < 0.3  # sigma0 of -7.5 to -20 dB classes
    local = intensity[:64, :256]
    assert 0.7 < local.std() / local.mean() < 1.6


@pytest.fixture(scope="module")
def small_product(small_config, small_pair):
    """The small pair through the engine, with its truth: (product, truth, scenes, grid, dem, dem grid)."""
    from massmove.insar.engine import process_pair
    from massmove.simulate.truth import pair_truth

    ground, context, pair, slcs = small_pair
    dem, dem_grid = processor_dem(small_config, ground)
    grid = product_grid(small_config)
    scenes = [
        SlcScene(slcs[a.scene_id], context.orbits[a.scene_id].annotated, {})
        for a in (pair.reference, pair.secondary)
    ]
    product = process_pair(*scenes, dem, dem_grid, grid, small_config["interferogram"])
    truth = pair_truth(small_config, ground, context, pair, grid, dem, dem_grid)
    return product, truth, scenes, grid, dem, dem_grid


@pytest.mark.slow
def test_engine_reproduces_the_truth(small_pair, small_product):
    _, context, pair, _ = small_pair
    product, truth, *_ = small_product
    mis_ref = context.orbits[pair.reference.scene_id].misregistration_px
    mis_sec = context.orbits[pair.secondary.scene_id].misregistration_px
    assert product.diagnostics["coregistration_residual_lines"] == pytest.approx(
        mis_ref[0] - mis_sec[0], abs=0.05
    )
    assert product.diagnostics["coregistration_residual_samples"] == pytest.approx(
        mis_ref[1] - mis_sec[1], abs=0.05
    )
    coherent = (product.coherence >= 0.5) & np.isfinite(truth.wrapped_phase_rad)
    assert coherent.sum() > 2000
    fidelity = abs(
        np.mean(np.exp(1j * (product.wrapped_phase_rad[coherent] - truth.wrapped_phase_rad[coherent])))
    )
    assert fidelity >= 0.9
    assert np.nanmax(np.abs(product.wrapped_phase_rad)) <= math.pi


def _residual_std_by_coherence(phase, truth_phase, truth_coherence) -> dict[float, float]:
    """Circular std of a product's phase about its noise-free phase, by truth-coherence bin."""
    residual = np.exp(1j * (phase - truth_phase))
    spread = {}
    for low in (0.2, 0.4, 0.6):
        inside = np.isfinite(residual) & (truth_coherence >= low) & (truth_coherence < low + 0.2)
        if inside.sum() >= 3000:
            spread[low] = math.sqrt(-2 * math.log(abs(residual[inside].mean())))
    return spread


@pytest.mark.slow
def test_phase_domain_pair_has_the_slc_products_statistics(small_config, small_pair, small_product):
    from massmove.insar.engine import pair_geometry_tags
    from massmove.simulate.phase_domain import phase_domain_config, phase_domain_pair

    ground, _, pair, _ = small_pair
    product, truth, scenes, grid, dem, dem_grid = small_product
    coarse = phase_domain_config(small_config, small_config["train"]["phase_domain"]["scatterer_spacing_m"])
    drawn = phase_domain_pair(
        coarse, ground, track_context(coarse, ground, "A088"), pair, grid, dem, dem_grid
    )
    # the truth of the coarse expected signal is the fine one's
    assert np.nanpercentile(np.abs(drawn.truth.coherence - truth.coherence), 95) < 0.05
    readable = truth.coherence > 0.3
    truth_gap = np.abs(np.angle(np.exp(1j * (drawn.truth.wrapped_phase_rad - truth.wrapped_phase_rad))))
    assert np.nanpercentile(truth_gap[readable], 95) < 0.1
    assert sorted(drawn.truth.patterns["class"]) == sorted(truth.patterns["class"])
    # the noise about the noise-free phase, by coherence, within a fifth of the SLC path's
    slc_spread = _residual_std_by_coherence(
        product.wrapped_phase_rad, truth.wrapped_phase_rad, truth.coherence
    )
    drawn_spread = _residual_std_by_coherence(
        drawn.wrapped_phase_rad, drawn.truth.wrapped_phase_rad, drawn.truth.coherence
    )
    assert len(slc_spread) >= 2 and slc_spread.keys() == drawn_spread.keys()
    for low, spread in slc_spread.items():
        assert drawn_spread[low] == pytest.approx(spread, rel=0.2), low
    # the estimated coherence: the same quartiles to 0.03
    both = np.isfinite(product.coherence) & np.isfinite(drawn.coherence)
    np.testing.assert_allclose(
        np.percentile(drawn.coherence[both], [25, 50, 75]),
        np.percentile(product.coherence[both], [25, 50, 75]),
        atol=0.03,
    )
    # the product's geometry tags are those the engine gives the SLC pair
    assert drawn.geometry_tags == pair_geometry_tags(
        scenes[0].geometry, scenes[1].geometry, grid, dem, dem_grid
    )


def test_same_seed_same_scene_other_seed_other_scene(small_config):
    a = simulate_ground(small_config)
    b = simulate_ground(small_config)
    c = simulate_ground(
        resolve_config({**small_config, "synthetic": {**small_config["synthetic"], "seed": 5}})
    )
    np.testing.assert_array_equal(a.height_m, b.height_m)
    assert [m.to_dict() for m in a.movements] == [m.to_dict() for m in b.movements]
    assert not np.array_equal(a.height_m, c.height_m)


@pytest.mark.slow
def test_acquisitions_are_reproducible_and_independent_of_order(small_config, small_pair):
    ground, _, pair, slcs = small_pair
    # a fresh context, the secondary simulated first and alone: the same bytes
    context = track_context(small_config, ground, "A088")
    again = form_slc(small_config, ground, context, pair.secondary.scene_id)
    np.testing.assert_array_equal(again, slcs[pair.secondary.scene_id])
