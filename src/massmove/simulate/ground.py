"""The ground scene shared by all acquisitions: terrain, land cover, movements, processor DEM."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import zarr
from numpy.typing import NDArray
from scipy import ndimage

from massmove.errors import CorruptInputError, InputError
from massmove.grid import Grid
from massmove.io.atomic import atomic_path
from massmove.settings import StageSettings
from massmove.simulate.fields import power_law_field
from massmove.simulate.landcover import classify_landcover
from massmove.simulate.landslides import Movement, velocity_field
from massmove.simulate.population import draw_population
from massmove.simulate.seeds import stream
from massmove.simulate.terrain import alpine_terrain, slope_aspect

FORMAT_VERSION = 1


@dataclasses.dataclass
class Ground:
    """Ground fields on a north-up grid covering the scene and its margin."""

    grid: Grid
    height_m: NDArray[np.float64]
    landcover: NDArray[np.uint8]
    velocity_m_per_yr: NDArray[np.float32]  # (3, rows, cols): east, north, up
    movement_id: NDArray[np.int32]
    movements: list[Movement]


def scene_bounds(config: StageSettings) -> tuple[float, float, float, float]:
    """Bounds (west, south, east, north) of the product extent of the synthetic scene."""
    synthetic = config["synthetic"]
    ce, cn = synthetic["centre_m"]
    half_e, half_n = (1000.0 * v / 2 for v in synthetic["extent_km"])
    return (ce - half_e, cn - half_n, ce + half_e, cn + half_n)


def product_grid(config: StageSettings) -> Grid:
    """The map grid of the interferogram products of the synthetic scene."""
    return Grid.from_bounds(*scene_bounds(config), config["posting_m"], config["crs"])


def ground_grid(config: StageSettings) -> Grid:
    """The grid of the simulated ground: the extent plus the margin."""
    west, south, east, north = scene_bounds(config)
    synthetic = config["synthetic"]
    margin = synthetic["margin_m"]
    return Grid.from_bounds(
        west - margin,
        south - margin,
        east + margin,
        north + margin,
        synthetic["terrain"]["ground_spacing_m"],
        config["crs"],
    )


def simulate_ground(config: StageSettings) -> Ground:
    """Simulate terrain, land cover and the movement population of the scene."""
    synthetic = config["synthetic"]
    seed = synthetic["seed"]
    grid = ground_grid(config)
    height = alpine_terrain(grid, synthetic["terrain"], stream(seed, "terrain"))
    slope, _, _ = slope_aspect(height, grid.spacing_m)
    landcover = classify_landcover(grid, height, slope, synthetic["landcover"], stream(seed, "landcover"))
    movements, landcover = draw_population(grid, height, landcover, scene_bounds(config), synthetic)
    velocity, label = velocity_field(grid, movements)
    return Ground(grid, height, landcover, velocity, label, movements)


def processor_dem(config: StageSettings, ground: Ground) -> tuple[NDArray[np.float64], Grid]:
    """The DEM a processor is given: the terrain averaged to the DEM posting plus a correlated error."""
    dem_params = config["synthetic"]["dem"]
    factor = max(1, round(dem_params["posting_m"] / ground.grid.spacing_m))
    rows, cols = (n // factor for n in ground.grid.shape)
    blocks = ground.height_m[: rows * factor, : cols * factor].reshape(rows, factor, cols, factor)
    dem = blocks.mean(axis=(1, 3))
    grid = Grid(
        ground.grid.west_m, ground.grid.north_m, ground.grid.spacing_m * factor, rows, cols, ground.grid.crs
    )
    error = power_law_field(
        dem.shape,
        grid.spacing_m,
        3.0,
        stream(config["synthetic"]["seed"], "dem-error"),
        outer_scale_m=dem_params["error_correlation_m"],
    )
    error = ndimage.gaussian_filter(error, 1.0)
    error *= dem_params["error_rms_m"] / max(error.std(), 1e-12)
    return dem + error, grid


def write_ground(path: str | Path, ground: Ground, settings_digest: str) -> None:
    """Write the ground store (Zarr), atomically."""
    with atomic_path(path, directory=True) as tmp:
        group = zarr.open_group(str(tmp), mode="w")
        for name, values in (
            ("height_m", ground.height_m.astype(np.float32)),
            ("landcover", ground.landcover),
            ("velocity_m_per_yr", ground.velocity_m_per_yr),
            ("movement_id", ground.movement_id),
        ):
            array = group.create_array(
                name, shape=values.shape, dtype=values.dtype, chunks=tuple(min(n, 1024) for n in values.shape)
            )
            array[...] = values
        group.attrs.update(
            {
                "massmove_ground": FORMAT_VERSION,
                "grid": dataclasses.asdict(ground.grid),
                "movements": [m.to_dict() for m in ground.movements],
                "settings_digest": settings_digest,
            }
        )


def read_ground(path: str | Path) -> Ground:
    """Read a ground store written by :func:`write_ground`."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"ground store not found: {path}")
    try:
        group = zarr.open_group(str(path), mode="r")
        if group.attrs.get("massmove_ground") != FORMAT_VERSION:
            raise CorruptInputError(f"{path}: not a massmove ground store")
        return Ground(
            grid=Grid(**group.attrs["grid"]),
            height_m=np.asarray(group["height_m"][...], dtype=np.float64),
            landcover=np.asarray(group["landcover"][...]),
            velocity_m_per_yr=np.asarray(group["velocity_m_per_yr"][...]),
            movement_id=np.asarray(group["movement_id"][...]),
            movements=[Movement.from_dict(m) for m in group.attrs["movements"]],
        )
    except CorruptInputError:
        raise
    except Exception as err:
        raise CorruptInputError(f"{path}: unreadable ground store ({type(err).__name__}: {err})") from err
