"""Ground scatterers laid out in the track frame, with everything the imaging needs.

Scatterers sit on a regular grid across and along the nominal track (several per SLC
resolution cell), restricted to the simulated ground square. Rows run across track, away from
the sensor, so radar shadow is a running maximum along each row. Every chunk of rows carries
the interpolated ground fields the imaging and the truth need.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from massmove.geometry import AcquisitionGeometry, line_of_sight
from massmove.grid import Grid, PointSampler, sample_nearest
from massmove.settings import StageSettings
from massmove.simulate.ground import Ground
from massmove.simulate.landcover import LandCover, class_table
from massmove.simulate.terrain import surface_normal


@dataclasses.dataclass(frozen=True)
class ScattererLayout:
    """Regular scatterer grid in the nominal track frame, centred on the scene centre."""

    centre_m: tuple[float, float]
    along: tuple[float, float]
    look: tuple[float, float]
    spacing_across_m: float
    spacing_along_m: float
    x_first_m: float
    n_across: int
    y_first_m: float
    n_along: int
    cot_incidence: float
    bounds: tuple[float, float, float, float]

    @property
    def incidence_sin_cos(self) -> tuple[float, float]:
        """Sine and cosine of the incidence angle at the scene centre."""
        sin_inc = 1.0 / math.sqrt(1.0 + self.cot_incidence**2)
        return sin_inc, self.cot_incidence * sin_inc

    def positions(self, row_start: int, row_stop: int) -> tuple[NDArray, NDArray, NDArray]:
        """Easting, northing and across-track distance of rows ``row_start:row_stop``."""
        x = self.x_first_m + np.arange(self.n_across) * self.spacing_across_m
        y = self.y_first_m + np.arange(row_start, row_stop) * self.spacing_along_m
        xx, yy = np.meshgrid(x, y)
        east = self.centre_m[0] + xx * self.look[0] + yy * self.along[0]
        north = self.centre_m[1] + xx * self.look[1] + yy * self.along[1]
        return east, north, xx


def scatterer_layout(config: StageSettings, ground: Ground, nominal: AcquisitionGeometry) -> ScattererLayout:
    """Scatterer grid covering the ground square for one track."""
    synthetic = config["synthetic"]
    spacing_x, spacing_y = synthetic["scatterers"]["spacing_m"]
    west, south, east, north = ground.grid.bounds
    ce, cn = synthetic["centre_m"]
    along, look = nominal.along_track, nominal.look_direction
    corners = np.array([[west, south], [east, south], [east, north], [west, north]]) - [ce, cn]
    xs = corners @ np.array(look)
    ys = corners @ np.array(along)
    cross = math.hypot(ce - nominal.position_m[0], cn - nominal.position_m[1])
    height = nominal.position_m[2] - float(np.mean(ground.height_m))
    return ScattererLayout(
        centre_m=(ce, cn),
        along=along,
        look=look,
        spacing_across_m=spacing_x,
        spacing_along_m=spacing_y,
        x_first_m=float(xs.min()),
        n_across=int((xs.max() - xs.min()) / spacing_x) + 1,
        y_first_m=float(ys.min()),
        n_along=int((ys.max() - ys.min()) / spacing_y) + 1,
        cot_incidence=height / cross,
        bounds=(west, south, east, north),
    )


@dataclasses.dataclass
class ScattererChunk:
    """Fields of the scatterers of a block of rows (2-D arrays, rows x across)."""

    index: int
    east_m: NDArray[np.float64]
    north_m: NDArray[np.float64]
    height_m: NDArray[np.float64]
    lit: NDArray[np.bool_]  # inside the ground square and not in radar shadow
    power: NDArray[np.float32]  # mean backscattered power of the scatterer (sigma0 units)
    gamma_inf: NDArray[np.float32]
    tau_days: NDArray[np.float32]
    velocity_m_per_yr: NDArray[np.float32]  # (3, rows, across)
    sampler: PointSampler  # samples further ground fields at these scatterers


@dataclasses.dataclass
class TrackFields:
    """Per-track fields on the ground grid that scatterers interpolate."""

    cos_local_incidence: NDArray[np.float32]
    speed_m_per_yr: NDArray[np.float32]


def track_fields(ground: Ground, nominal: AcquisitionGeometry) -> TrackFields:
    """Local incidence cosine (for backscatter) and speed of every ground cell."""
    east, north = ground.grid.centres()
    los = np.stack(line_of_sight(nominal, east, north, ground.height_m))
    normal = surface_normal(ground.height_m, ground.grid.spacing_m)
    cos_local = np.einsum("ijk,ijk->jk", los, normal).astype(np.float32)
    speed = np.linalg.norm(ground.velocity_m_per_yr, axis=0).astype(np.float32)
    return TrackFields(cos_local, speed)


def iterate_chunks(
    config: StageSettings,
    ground: Ground,
    layout: ScattererLayout,
    fields: TrackFields,
    *,
    oversampling: int,
) -> Iterator[ScattererChunk]:
    """Yield the scatterers chunk by chunk (rows of ``scatterers.chunk_rows``)."""
    synthetic = config["synthetic"]
    cover = synthetic["landcover"]
    sigma0 = 10 ** (class_table(cover, "sigma0_db") / 10)
    gamma_inf = class_table(cover, "gamma_inf")
    tau = class_table(cover, "tau_days")
    sensor = synthetic["sensor"]
    sin_inc, cos_inc = layout.incidence_sin_cos
    bin_area_m2 = (sensor["range_pixel_spacing_m"] / oversampling / sin_inc) * (
        sensor["azimuth_pixel_spacing_m"] / oversampling
    )
    area_weight = layout.spacing_across_m * layout.spacing_along_m / bin_area_m2
    disruption = synthetic["landslides"]["disruption_velocity_m_per_yr"]
    chunk_rows = synthetic["scatterers"]["chunk_rows"]
    grid: Grid = ground.grid
    west, south, east_edge, north_edge = layout.bounds
    for index, start in enumerate(range(0, layout.n_along, chunk_rows)):
        stop = min(start + chunk_rows, layout.n_along)
        east, north, across = layout.positions(start, stop)
        inside = (east >= west) & (east <= east_edge) & (north >= south) & (north <= north_edge)
        sampler = PointSampler(grid, east, north)
        height = sampler.bilinear(ground.height_m)
        reach = np.where(inside, height + across * layout.cot_incidence, -np.inf)
        shadow = np.maximum.accumulate(reach, axis=1) > reach + 1e-6
        lit = inside & ~shadow
        cls = sample_nearest(grid, ground.landcover, east, north, fill=int(LandCover.MEADOW))
        cos_local = np.clip(sampler.bilinear(fields.cos_local_incidence), 0.0, None)
        power = (sigma0[cls] * cos_local / cos_inc * area_weight).astype(np.float32)
        speed = sampler.bilinear(fields.speed_m_per_yr)
        slowdown = 1.0 + speed / disruption
        velocity = np.stack([sampler.bilinear(ground.velocity_m_per_yr[i]) for i in range(3)])
        yield ScattererChunk(
            index=index,
            east_m=east,
            north_m=north,
            height_m=height,
            lit=lit,
            power=np.where(lit, power, 0.0).astype(np.float32),
            gamma_inf=(gamma_inf[cls] / slowdown).astype(np.float32),
            tau_days=(tau[cls] / slowdown).astype(np.float32),
            velocity_m_per_yr=velocity.astype(np.float32),
            sampler=sampler,
        )
