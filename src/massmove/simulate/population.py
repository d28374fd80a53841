"""The moving bodies of a scene, kind by kind, placed where real inventories find them.

* **Deep-seated slope deformations** (``synthetic.slope_deformations``): km-scale bodies on
  the valley flanks creeping a few cm/yr, each hosting faster **compartments** (Crosta et al.
  2013; Strozzi et al. 2010: a Swiss rock-mass movement from about 4 to over 30 cm/yr).
* **Rock glaciers** (``synthetic.rock_glaciers``): lobate bodies of debris in the periglacial
  belt below rock walls, clustered in cirques, 0.01 to 0.3 km2 and 0.1 to several m/yr
  (Entremont inventory, NSIDC ggd290: 321 on 300 km2, mean 0.032 km2, 2,000 to 3,000 m;
  Barboux, Delaloye and Lambiel 2014). Their ground is bare debris (land cover rock).
* **Landslides** (``synthetic.landslides``): inverse-gamma sizes (Malamud et al. 2004),
  placed by a susceptibility intensity (slope, hollows, a correlated random field) and
  clustered as a Neyman-Scott process, as mapped landslides are (ISSLIDE: Clark-Evans R
  about 0.5).

Bodies do not overlap, except compartments, which lie inside their slope deformation and move
on top of it. Every kind draws from its own random stream.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from massmove.grid import Grid
from massmove.simulate.fields import power_law_field
from massmove.simulate.landcover import LandCover
from massmove.simulate.landslides import HARMONICS, Movement, draw_areas
from massmove.simulate.seeds import stream
from massmove.simulate.terrain import slope_aspect

#: relief is judged on the terrain smoothed over this scale (slopes of hillslopes, not of boulders)
RELIEF_SMOOTHING_M = 60.0
#: tries to place one body before it is given up
MAX_TRIES = 60


class Terrain:
    """Terrain fields the placement rules read, on the ground grid."""

    def __init__(self, grid: Grid, height_m: NDArray[np.float64], landcover: NDArray[np.uint8]) -> None:
        self.grid = grid
        self.height_m = height_m
        self.landcover = landcover
        smooth = ndimage.gaussian_filter(height_m, RELIEF_SMOOTHING_M / grid.spacing_m)
        self.slope_deg, self.down_east, self.down_north = slope_aspect(smooth, grid.spacing_m)
        # positive in hollows and cirques (concave), negative on spurs and ridges
        self.concavity = ndimage.laplace(smooth) / grid.spacing_m**2

    def index(self, east_m: float, north_m: float) -> tuple[int, int] | None:
        """Row and column of the cell holding a point, None outside the grid."""
        row, col = (int(v) for v in np.rint(self.grid.fractional_index(east_m, north_m)))
        if 0 <= row < self.grid.height and 0 <= col < self.grid.width:
            return row, col
        return None


class Placement:
    """Bodies placed so far; a new one must not overlap any of them."""

    def __init__(self) -> None:
        self.movements: list[Movement] = []

    def clear_of_others(self, east_m: float, north_m: float, size_m: float) -> bool:
        """True when a body of this size (mean of length and width) centred here keeps its
        distance from every placed body: at least half the sum of their sizes (elongated
        neighbours may touch at their tips, as coalescing landslides do; compartments aside,
        which live inside their host)."""
        return all(
            math.hypot(east_m - m.centre_m[0], north_m - m.centre_m[1]) >= (size_m + m.size_m) / 2
            for m in self.movements
            if m.kind != "compartment"
        )

    def add(self, terrain: Terrain, rng: np.random.Generator, **fields: Any) -> Movement:
        """Create, record and return a body at ``centre_m`` moving down the local slope."""
        row, col = terrain.index(*fields["centre_m"])  # type: ignore[misc]
        azimuth = math.degrees(math.atan2(terrain.down_east[row, col], terrain.down_north[row, col])) % 360.0
        irregularity = fields.pop("edge_irregularity")
        harmonics = tuple(
            (float(rng.uniform(0, irregularity)), float(rng.uniform(0, 2 * np.pi))) for _ in HARMONICS
        )
        movement = Movement(
            movement_id=len(self.movements) + 1,
            downslope_azimuth_deg=float(azimuth),
            slope_deg=float(terrain.slope_deg[row, col]),
            harmonics=harmonics,
            **fields,
        )
        self.movements.append(movement)
        return movement


def log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    """One draw, uniform in the logarithm between the bounds."""
    low, high = bounds
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def ellipse_axes(area_m2: float, aspect_ratio: float) -> tuple[float, float]:
    """(length, width) in metres of an ellipse of this area and length/width ratio."""
    width = math.sqrt(4 * area_m2 / (math.pi * aspect_ratio))
    return aspect_ratio * width, width


def within_bounds(bounds: tuple[float, float, float, float], grid: Grid) -> NDArray[np.bool_]:
    """Cells of the grid whose centres lie inside ``bounds``."""
    east, north = grid.centres()
    west, south, east_edge, north_edge = bounds
    return (east >= west) & (east <= east_edge) & (north >= south) & (north <= north_edge)


def bounds_area_km2(bounds: tuple[float, float, float, float]) -> float:
    """Area of ``(west, south, east, north)`` bounds in metres, in km2."""
    west, south, east, north = bounds
    return (east - west) * (north - south) / 1e6


def slope_window(slope_deg: NDArray[np.float64], bounds: tuple[float, float]) -> NDArray[np.bool_]:
    """Cells whose slope lies inside the bounds."""
    return (slope_deg >= bounds[0]) & (slope_deg <= bounds[1])


def clustered_centres(
    intensity: NDArray[np.float64],
    grid: Grid,
    expected_count: float,
    cluster_size_mean: float,
    cluster_radius_m: float,
    rng: np.random.Generator,
) -> list[tuple[float, float]]:
    """Points of a Neyman-Scott process driven by an intensity map.

    Parents are a Poisson number (``expected_count / cluster_size_mean``) of points drawn with
    probability proportional to ``intensity``; each cluster is its parent's point and
    ``Poisson(cluster_size_mean - 1)`` more, displaced by an isotropic Gaussian of
    ``cluster_radius_m`` and thinned by the intensity (rejection sampling against its 99th
    percentile, up to ``MAX_TRIES`` draws each): clusters stay on suitable ground.
    ``cluster_size_mean = 1`` gives an inhomogeneous Poisson process.
    """
    total = float(intensity.sum())
    if total <= 0 or expected_count <= 0:
        return []
    cap = float(np.percentile(intensity[intensity > 0], 99))
    n_parents = int(rng.poisson(expected_count / cluster_size_mean))
    cells = rng.choice(intensity.size, size=n_parents, p=(intensity / total).ravel())
    points: list[tuple[float, float]] = []
    for cell in cells:
        row, col = divmod(int(cell), grid.width)
        parent = (
            grid.west_m + (col + rng.uniform()) * grid.spacing_m,
            grid.north_m - (row + rng.uniform()) * grid.spacing_m,
        )
        points.append(parent)
        for _ in range(int(rng.poisson(cluster_size_mean - 1.0))):
            for _ in range(MAX_TRIES):
                east = parent[0] + rng.normal(0.0, cluster_radius_m)
                north = parent[1] + rng.normal(0.0, cluster_radius_m)
                r, c = (int(v) for v in np.rint(grid.fractional_index(east, north)))
                inside = 0 <= r < grid.height and 0 <= c < grid.width
                if inside and rng.uniform() * cap < intensity[r, c]:
                    points.append((east, north))
                    break
    return points


def landslide_intensity(
    terrain: Terrain,
    params: Mapping[str, Any],
    bounds: tuple[float, float, float, float],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Susceptibility of every cell to landsliding (relative intensity, 0 where impossible).

    A slope window (``slope_deg``) weighted by a triangle peaking mid-window, a preference for
    hollows (``concavity_weight`` times the standardised concavity) and a correlated random
    field of ``susceptibility_scale_m`` and log-amplitude ``susceptibility_sigma`` (lithology,
    groundwater, what a DEM does not show). Water and glaciers slide not.
    """
    low, high = params["slope_deg"]
    middle = (low + high) / 2
    slope = terrain.slope_deg
    weight = np.clip(1.0 - np.abs(slope - middle) / (middle - low), 0.0, None)
    concavity = terrain.concavity / max(float(terrain.concavity.std()), 1e-12)
    field = power_law_field(
        terrain.grid.shape, terrain.grid.spacing_m, 3.0, rng, outer_scale_m=params["susceptibility_scale_m"]
    )
    log_intensity = (
        params["concavity_weight"] * np.clip(concavity, -2, 2) + params["susceptibility_sigma"] * field
    )
    intensity = weight * np.exp(log_intensity)
    unsuitable = np.isin(terrain.landcover, [LandCover.WATER, LandCover.GLACIER]) | ~slope_window(
        slope, (low, high)
    )
    intensity[unsuitable | ~within_bounds(bounds, terrain.grid)] = 0.0
    return intensity


def rock_glacier_sites(
    terrain: Terrain, params: Mapping[str, Any], bounds: tuple[float, float, float, float]
) -> NDArray[np.bool_]:
    """Cells where a rock glacier can sit: the periglacial belt, gentle to moderate slopes,
    below a rock wall (a cell at least ``wall_slope_deg`` steep and ``wall_rise_m`` higher
    within ``wall_distance_m``) that feeds it debris, never on a glacier."""
    grid = terrain.grid
    low, high = params["elevation_m"]
    belt = (terrain.height_m >= low) & (terrain.height_m <= high)
    walls = terrain.slope_deg >= params["wall_slope_deg"]
    radius_px = max(1, round(params["wall_distance_m"] / grid.spacing_m))
    # the highest wall cell within reach, on a coarser grid (the rule is about hundreds of metres)
    step = max(1, radius_px // 8)
    wall_height = np.where(walls, terrain.height_m, -np.inf)[::step, ::step]
    footprint = _disc(max(1, radius_px // step))
    highest = ndimage.maximum_filter(wall_height, footprint=footprint, mode="constant", cval=-np.inf)
    highest = np.repeat(np.repeat(highest, step, axis=0), step, axis=1)[: grid.height, : grid.width]
    below_wall = highest >= terrain.height_m + params["wall_rise_m"]
    sites = belt & below_wall & slope_window(terrain.slope_deg, params["slope_deg"])
    sites &= ~np.isin(terrain.landcover, [LandCover.WATER, LandCover.GLACIER])
    return sites & within_bounds(bounds, grid)


def _disc(radius: int) -> NDArray[np.bool_]:
    offsets = np.arange(-radius, radius + 1)
    return np.hypot(offsets[:, None], offsets[None, :]) <= radius


def place_slope_deformations(
    terrain: Terrain,
    placement: Placement,
    params: Mapping[str, Any],
    bounds: tuple[float, float, float, float],
    rng: np.random.Generator,
) -> None:
    """Deep-seated slope deformations on the flanks, each hosting faster compartments."""
    area_km2 = bounds_area_km2(bounds)
    sites = slope_window(terrain.slope_deg, params["slope_deg"]) & within_bounds(bounds, terrain.grid)
    for _ in range(int(rng.poisson(params["density_per_km2"] * area_km2))):
        area = log_uniform(rng, tuple(params["area_m2"]))
        length, width = ellipse_axes(area, rng.uniform(*params["aspect_ratio"]))
        size = (length + width) / 2
        centre = _site(terrain, sites, rng, functools.partial(_clear_of_others, placement, size))
        if centre is None:
            continue
        host = placement.add(
            terrain,
            rng,
            centre_m=centre,
            area_m2=area,
            length_m=length,
            width_m=width,
            velocity_m_per_yr=log_uniform(rng, tuple(params["velocity_m_per_yr"])),
            kind="slope_deformation",
            profile_exponent=2.0,
            edge_irregularity=params["edge_irregularity"],
        )
        _place_compartments(terrain, placement, host, params["compartments"], rng)


def _place_compartments(
    terrain: Terrain,
    placement: Placement,
    host: Movement,
    params: Mapping[str, Any],
    rng: np.random.Generator,
) -> None:
    """Faster compartments inside a slope deformation (not overlapping each other)."""
    placed: list[Movement] = []
    for _ in range(int(rng.poisson(params["per_body_mean"]))):
        area = min(log_uniform(rng, tuple(params["area_m2"])), 0.25 * host.area_m2)
        length, width = ellipse_axes(area, rng.uniform(*params["aspect_ratio"]))
        for _ in range(MAX_TRIES):
            # a random point of the host's inner part, so that the compartment lies inside it
            u, w = rng.uniform(-1, 1, size=2) * 0.6
            along, across = host.axes()
            de = u * host.length_m / 2 * along[0] + w * host.width_m / 2 * across[0]
            dn = u * host.length_m / 2 * along[1] + w * host.width_m / 2 * across[1]
            east, north = host.centre_m[0] + de, host.centre_m[1] + dn
            if terrain.index(east, north) is None:
                continue
            if float(host.normalised_radius(np.array(east), np.array(north))) > 0.6:
                continue
            if any(
                math.hypot(east - m.centre_m[0], north - m.centre_m[1]) < (length + m.length_m) / 2
                for m in placed
            ):
                continue
            placed.append(
                placement.add(
                    terrain,
                    rng,
                    centre_m=(float(east), float(north)),
                    area_m2=area,
                    length_m=length,
                    width_m=width,
                    velocity_m_per_yr=log_uniform(rng, tuple(params["velocity_m_per_yr"])),
                    kind="compartment",
                    profile_exponent=2.0,
                    edge_irregularity=params["edge_irregularity"],
                )
            )
            break


def place_rock_glaciers(
    terrain: Terrain,
    placement: Placement,
    params: Mapping[str, Any],
    bounds: tuple[float, float, float, float],
    rng: np.random.Generator,
) -> NDArray[np.bool_]:
    """Active rock glaciers clustered in cirques below rock walls; returns their sites mask."""
    sites = rock_glacier_sites(terrain, params, bounds)
    site_km2 = float(sites.sum()) * terrain.grid.spacing_m**2 / 1e6
    centres = clustered_centres(
        sites.astype(np.float64),
        terrain.grid,
        params["density_per_km2"] * site_km2,
        params["cluster_size_mean"],
        params["cluster_radius_m"],
        rng,
    )
    low, high = params["area_m2"]
    for east, north in centres:
        area = float(
            np.clip(params["area_median_m2"] * math.exp(rng.normal(0, params["area_log_sigma"])), low, high)
        )
        length, width = ellipse_axes(area, rng.uniform(*params["aspect_ratio"]))
        cell = terrain.index(east, north)
        if (
            cell is None
            or not sites[cell]
            or not placement.clear_of_others(east, north, (length + width) / 2)
        ):
            continue
        placement.add(
            terrain,
            rng,
            centre_m=(float(east), float(north)),
            area_m2=area,
            length_m=length,
            width_m=width,
            velocity_m_per_yr=log_uniform(rng, tuple(params["velocity_m_per_yr"])),
            kind="rock_glacier",
            profile_exponent=params["profile_exponent"],
            edge_irregularity=params["edge_irregularity"],
        )
    return sites


def place_landslides(
    terrain: Terrain,
    placement: Placement,
    params: Mapping[str, Any],
    bounds: tuple[float, float, float, float],
    rng: np.random.Generator,
) -> None:
    """Landslides by susceptibility, clustered; the largest are placed first."""
    area_km2 = bounds_area_km2(bounds)
    intensity = landslide_intensity(terrain, params, bounds, rng)
    centres = clustered_centres(
        intensity,
        terrain.grid,
        params["density_per_km2"] * area_km2,
        params["cluster_size_mean"],
        params["cluster_radius_m"],
        rng,
    )
    areas = np.sort(draw_areas(len(centres), params, rng))[::-1]
    order = rng.permutation(len(centres))
    for area, index in zip(areas, order, strict=True):
        east_m, north_m = centres[index]
        length, width = ellipse_axes(float(area), rng.uniform(*params["aspect_ratio"]))
        cell = terrain.index(east_m, north_m)
        if cell is None or intensity[cell] <= 0:
            continue
        if not placement.clear_of_others(east_m, north_m, (length + width) / 2):
            continue
        placement.add(
            terrain,
            rng,
            centre_m=(float(east_m), float(north_m)),
            area_m2=float(area),
            length_m=length,
            width_m=width,
            velocity_m_per_yr=log_uniform(
                rng, (params["velocity_min_m_per_yr"], params["velocity_max_m_per_yr"])
            ),
            kind="landslide",
            profile_exponent=2.0,
            edge_irregularity=params["edge_irregularity"],
        )


def _clear_of_others(placement: Placement, size_m: float, east_m: float, north_m: float) -> bool:
    """Whether a site keeps clear of the movements placed so far."""
    return placement.clear_of_others(east_m, north_m, size_m)


def _site(
    terrain: Terrain,
    sites: NDArray[np.bool_],
    rng: np.random.Generator,
    accept: Callable[[float, float], bool],
) -> tuple[float, float] | None:
    """A random point on ``sites`` that ``accept`` takes, or None after ``MAX_TRIES``."""
    cells = np.flatnonzero(sites)
    if not len(cells):
        return None
    grid = terrain.grid
    for _ in range(MAX_TRIES):
        row, col = divmod(int(cells[rng.integers(len(cells))]), grid.width)
        east = grid.west_m + (col + rng.uniform()) * grid.spacing_m
        north = grid.north_m - (row + rng.uniform()) * grid.spacing_m
        if accept(east, north):
            return float(east), float(north)
    return None


def draw_population(
    grid: Grid,
    height_m: NDArray[np.float64],
    landcover: NDArray[np.uint8],
    bounds: tuple[float, float, float, float],
    synthetic: Mapping[str, Any],
) -> tuple[list[Movement], NDArray[np.uint8]]:
    """Every moving body of the scene, and the land cover with rock glaciers' debris as rock.

    Kinds are placed largest first (slope deformations and their compartments, rock glaciers,
    landslides), each from its own random stream of ``synthetic.seed``.
    """
    seed = synthetic["seed"]
    terrain = Terrain(grid, height_m, landcover)
    placement = Placement()
    place_slope_deformations(
        terrain, placement, synthetic["slope_deformations"], bounds, stream(seed, "slope-deformations")
    )
    place_rock_glaciers(terrain, placement, synthetic["rock_glaciers"], bounds, stream(seed, "rock-glaciers"))
    place_landslides(terrain, placement, synthetic["landslides"], bounds, stream(seed, "landslides"))
    cover = landcover.copy()
    east, north = grid.centres()
    for movement in placement.movements:
        if movement.kind == "rock_glacier":
            rs, cs = movement.window(grid)
            debris = movement.normalised_radius(east[rs, cs], north[rs, cs]) < 1.0
            cover[rs, cs][debris] = LandCover.ROCK
    return placement.movements, cover
