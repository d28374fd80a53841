"""Slow mass movements: elongated bodies moving downslope, and landslide sizes.

Each body is an ellipse elongated downslope with an undulating outline; its displacement is
parallel to the mean slope and tapers to zero at the outline as ``1 - rho^p`` (p = 2 for
landslides, larger for the plug flow of rock glaciers). Landslide sizes follow the truncated
inverse-gamma density of landslide inventories (Malamud et al. 2004, Earth Surf. Process.
Landforms 29: a roll-over at small areas, then a power-law tail p(A) ~ A^-exponent). Where
bodies of each kind are placed: :mod:`massmove.simulate.population`.
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
from scipy import special

from massmove.grid import Grid

HARMONICS = (2, 3, 4)


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
    kind: str = "landslide"
    profile_exponent: float = 2.0

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

    @property
    def size_m(self) -> float:
        """Mean of length and width: the body's size when spacing bodies apart."""
        return (self.length_m + self.width_m) / 2

    def axes(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Unit vectors (east, north) along the body (downslope) and across it."""
        azimuth = math.radians(self.downslope_azimuth_deg)
        along = (math.sin(azimuth), math.cos(azimuth))
        return along, (-along[1], along[0])

    def normalised_radius(self, east_m: NDArray, north_m: NDArray) -> NDArray[np.float64]:
        """rho: 0 at the centre, 1 on the outline."""
        along, across = self.axes()
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
        along, across = self.axes()
        u = radius * np.cos(angle) * self.length_m / 2
        w = radius * np.sin(angle) * self.width_m / 2
        east = self.centre_m[0] + u * along[0] + w * across[0]
        north = self.centre_m[1] + u * along[1] + w * across[1]
        return shapely.Polygon(np.column_stack([east, north]))

    def window(self, grid: Grid) -> tuple[slice, slice]:
        """Rows and columns of ``grid`` that hold the whole body (its outline and margin)."""
        half = 0.75 * self.length_m * (1 + sum(a for a, _ in self.harmonics))
        row0, col0 = grid.fractional_index(self.centre_m[0] - half, self.centre_m[1] + half)
        row1, col1 = grid.fractional_index(self.centre_m[0] + half, self.centre_m[1] - half)
        return (
            slice(max(int(row0), 0), min(int(row1) + 2, grid.height)),
            slice(max(int(col0), 0), min(int(col1) + 2, grid.width)),
        )

    def direction(self) -> tuple[float, float, float]:
        """Unit displacement direction (east, north, up): downslope, parallel to the surface."""
        along, _ = self.axes()
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


def velocity_field(
    grid: Grid, movements: Sequence[Movement]
) -> tuple[NDArray[np.float32], NDArray[np.int32]]:
    """Velocity (east, north, up; m/yr) of every ground cell and the id of the body it is in."""
    velocity = np.zeros((3, *grid.shape), dtype=np.float32)
    label = np.zeros(grid.shape, dtype=np.int32)
    east, north = grid.centres()
    for movement in movements:
        rs, cs = movement.window(grid)
        rho = movement.normalised_radius(east[rs, cs], north[rs, cs])
        taper = np.clip(1.0 - rho**movement.profile_exponent, 0.0, None)
        inside = rho < 1.0
        for axis, component in enumerate(movement.direction()):
            velocity[axis, rs, cs] += (movement.velocity_m_per_yr * component * taper).astype(np.float32)
        label[rs, cs][inside] = movement.movement_id
    return velocity, label


def movement_inventory(movements: Sequence[Movement], crs: str) -> gpd.GeoDataFrame:
    """All moving bodies as polygons with their parameters (the full simulated inventory)."""
    columns = [
        "movement_id",
        "kind",
        "area_m2",
        "length_m",
        "width_m",
        "downslope_azimuth_deg",
        "slope_deg",
        "velocity_m_per_yr",
    ]
    records = [{**{k: m.to_dict()[k] for k in columns}, "geometry": m.outline()} for m in movements]
    frame = gpd.GeoDataFrame(records, columns=[*columns, "geometry"], geometry="geometry", crs=crs)
    types = {
        name: "int64" if name == "movement_id" else "str" if name == "kind" else "float64" for name in columns
    }
    return frame.astype(types)
