"""Slow mass movements: a power-law population of elongated bodies moving downslope.

Sizes follow the truncated inverse-gamma density of landslide inventories (Malamud et al.
2004, Earth Surf. Process. Landforms 29: a roll-over at small areas, then a power-law tail
p(A) ~ A^-exponent); each body is an ellipse elongated downslope with an
undulating outline; its displacement is parallel to the mean slope and tapers to zero at
the outline as (1 - rho^2); velocities are log-uniform between the configured bounds.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy import ndimage, special

from massmove.raster import Grid
from massmove.simulate.landcover import LandCover
from massmove.simulate.terrain import slope_aspect

HARMONICS = (2, 3, 4)
MAX_TRIES = 200


@dataclasses.dataclass(frozen=True)
class Movement:
    """One moving body (all lengths in metres, angles in degrees)."""

    movement_id: int
    centre_m: tuple[float, float]
    area_m2: float
    length_m: float
    width_m: float
    downslope_azimuth_deg: float
    slope_deg: float
    velocity_m_per_yr: float
    harmonics: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Movement:
        """Inverse of :meth:`to_dict`."""
        kwargs = dict(values)
        kwargs["centre_m"] = tuple(kwargs["centre_m"])
        kwargs["harmonics"] = tuple(tuple(h) for h in kwargs["harmonics"])
        return cls(**kwargs)

    def _axes(self) -> tuple[tuple[float, float], tuple[float, float]]:
        azimuth = math.radians(self.downslope_azimuth_deg)
        along = (math.sin(azimuth), math.cos(azimuth))
        return along, (-along[1], along[0])

    def normalised_radius(self, east_m: NDArray, north_m: NDArray) -> NDArray[np.float64]:
        """rho: 0 at the centre, 1 on the outline."""
        along, across = self._axes()
        de, dn = east_m - self.centre_m[0], north_m - self.centre_m[1]
        u = (de * along[0] + dn * along[1]) / (self.length_m / 2)
        w = (de * across[0] + dn * across[1]) / (self.width_m / 2)
        return np.hypot(u, w) / self._edge(np.arctan2(w, u))

    def _edge(self, angle: NDArray) -> NDArray[np.float64]:
        edge = np.ones_like(angle, dtype=np.float64)
        for order, (amplitude, phase) in zip(HARMONICS, self.harmonics, strict=True):
            edge = edge + amplitude * np.cos(order * angle + phase)
        return edge

    def outline(self, n_vertices: int = 96) -> shapely.Polygon:
        """The outline (rho = 1) as a polygon in map coordinates."""
        angle = np.linspace(0, 2 * np.pi, n_vertices, endpoint=False)
        radius = self._edge(angle)
        along, across = self._axes()
        u = radius * np.cos(angle) * self.length_m / 2
        w = radius * np.sin(angle) * self.width_m / 2
        east = self.centre_m[0] + u * along[0] + w * across[0]
        north = self.centre_m[1] + u * along[1] + w * across[1]
        return shapely.Polygon(np.column_stack([east, north]))

    def direction(self) -> tuple[float, float, float]:
        """Unit displacement direction (east, north, up): downslope, parallel to the surface."""
        along, _ = self._axes()
        slope = math.radians(self.slope_deg)
        return (along[0] * math.cos(slope), along[1] * math.cos(slope), -math.sin(slope))


def draw_areas(count: int, params: Mapping[str, Any], rng: np.random.Generator) -> NDArray[np.float64]:
    """Areas (m2) from the inverse-gamma density truncated to [area_min_m2, area_max_m2].

    ``p(A) ~ (a / A)^(rho + 1) exp(-a / A)`` with ``rho = area_exponent - 1``: a power-law tail
    ``A^-area_exponent`` above the roll-over, fewer small bodies below it; the density peaks
    at ``area_rollover_m2 = a / (rho + 1)``. Drawn by inverting the truncated distribution
    function (one uniform number per body).
    """
    shape = params["area_exponent"] - 1.0
    scale_m2 = params["area_rollover_m2"] * params["area_exponent"]
    # the inverse-gamma distribution function is the regularised upper incomplete gamma of a / A
    cdf_low = special.gammaincc(shape, scale_m2 / params["area_min_m2"])
    cdf_high = special.gammaincc(shape, scale_m2 / params["area_max_m2"])
    uniform = cdf_low + rng.uniform(size=count) * (cdf_high - cdf_low)
    areas = scale_m2 / special.gammainccinv(shape, uniform)
    return np.clip(areas, params["area_min_m2"], params["area_max_m2"])


def draw_movements(
    grid: Grid,
    height_m: NDArray[np.float64],
    landcover: NDArray[np.uint8],
    placement_bounds: tuple[float, float, float, float],
    params: Mapping[str, Any],
    rng: np.random.Generator,
) -> list[Movement]:
    """Place a Poisson number of movements on suitable slopes inside ``placement_bounds``."""
    west, south, east, north = placement_bounds
    area_km2 = (east - west) * (north - south) / 1e6
    count = int(rng.poisson(params["density_per_km2"] * area_km2))
    areas = np.sort(draw_areas(count, params, rng))[::-1]  # place the largest first
    smooth = ndimage.gaussian_filter(height_m, 60.0 / grid.spacing_m)
    slope, down_e, down_n = slope_aspect(smooth, grid.spacing_m)
    slope_low, slope_high = params["slope_deg"]
    v_low, v_high = math.log(params["velocity_min_m_per_yr"]), math.log(params["velocity_max_m_per_yr"])
    placed: list[Movement] = []
    for area in areas:
        ratio = rng.uniform(*params["aspect_ratio"])
        width = math.sqrt(4 * area / (math.pi * ratio))
        length = ratio * width
        for _ in range(MAX_TRIES):
            ce, cn = rng.uniform(west, east), rng.uniform(south, north)
            row, col = (int(v) for v in np.rint(grid.fractional_index(ce, cn)))
            if not (slope_low <= slope[row, col] <= slope_high):
                continue
            if landcover[row, col] in (LandCover.WATER, LandCover.GLACIER):
                continue
            if any(
                math.hypot(ce - m.centre_m[0], cn - m.centre_m[1]) < (length + m.length_m) / 2 for m in placed
            ):
                continue
            azimuth = math.degrees(math.atan2(down_e[row, col], down_n[row, col])) % 360.0
            harmonics = tuple(
                (float(rng.uniform(0, params["edge_irregularity"])), float(rng.uniform(0, 2 * np.pi)))
                for _ in HARMONICS
            )
            placed.append(
                Movement(
                    movement_id=len(placed) + 1,
                    centre_m=(float(ce), float(cn)),
                    area_m2=float(area),
                    length_m=float(length),
                    width_m=float(width),
                    downslope_azimuth_deg=float(azimuth),
                    slope_deg=float(slope[row, col]),
                    velocity_m_per_yr=float(math.exp(rng.uniform(v_low, v_high))),
                    harmonics=harmonics,
                )
            )
            break
    return placed


def velocity_field(
    grid: Grid, movements: Sequence[Movement]
) -> tuple[NDArray[np.float32], NDArray[np.int32]]:
    """Velocity (east, north, up; m/yr) of every ground cell and the id of the body it is in."""
    velocity = np.zeros((3, *grid.shape), dtype=np.float32)
    label = np.zeros(grid.shape, dtype=np.int32)
    east, north = grid.centres()
    for movement in movements:
        half = 0.75 * movement.length_m * (1 + sum(a for a, _ in movement.harmonics))
        row0, col0 = grid.fractional_index(movement.centre_m[0] - half, movement.centre_m[1] + half)
        row1, col1 = grid.fractional_index(movement.centre_m[0] + half, movement.centre_m[1] - half)
        rs = slice(max(int(row0), 0), min(int(row1) + 2, grid.height))
        cs = slice(max(int(col0), 0), min(int(col1) + 2, grid.width))
        rho = movement.normalised_radius(east[rs, cs], north[rs, cs])
        taper = np.clip(1.0 - rho * rho, 0.0, None)
        inside = rho < 1.0
        for axis, component in enumerate(movement.direction()):
            velocity[axis, rs, cs] += (movement.velocity_m_per_yr * component * taper).astype(np.float32)
        label[rs, cs][inside] = movement.movement_id
    return velocity, label


def movement_inventory(movements: Sequence[Movement], crs: str) -> gpd.GeoDataFrame:
    """All moving bodies as polygons with their parameters (the full simulated inventory)."""
    columns = [
        "movement_id",
        "area_m2",
        "length_m",
        "width_m",
        "downslope_azimuth_deg",
        "slope_deg",
        "velocity_m_per_yr",
    ]
    records = [{**{k: m.to_dict()[k] for k in columns}, "geometry": m.outline()} for m in movements]
    frame = gpd.GeoDataFrame(records, columns=[*columns, "geometry"], geometry="geometry", crs=crs)
    return frame.astype({name: "int64" if name == "movement_id" else "float64" for name in columns})
