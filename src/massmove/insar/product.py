"""The built-in engine's interferogram product of one pair, from its two SLC stores."""

from __future__ import annotations

from pathlib import Path

from massmove import __version__
from massmove.errors import InputError
from massmove.grid import Grid
from massmove.insar.engine import pair_geometry_tags, process_pair
from massmove.io.raster_io import read_raster, write_cog
from massmove.io.slc_store import read_slc_store
from massmove.pairs import Pair, pair_record, pair_tags
from massmove.settings import StageSettings


def write_builtin_product(
    config: StageSettings,
    pair: Pair,
    reference_store: str | Path,
    secondary_store: str | Path,
    dem_tif: str | Path,
    grid: Grid,
    product_tif: str | Path,
) -> None:
    """Build the interferogram product of ``pair`` on ``grid`` with the built-in engine
    (``config["interferogram"]``) and write it with the pair's tags, the geometry and the
    engine's diagnostics."""
    reference = read_slc_store(reference_store)
    secondary = read_slc_store(secondary_store)
    for scene, expected in ((reference, pair.reference.scene_id), (secondary, pair.secondary.scene_id)):
        if scene.metadata.get("scene_id") != expected:
            raise InputError(
                f"{reference_store if scene is reference else secondary_store}: holds scene "
                f"{scene.metadata.get('scene_id')!r}, pair {pair.pair_id} needs {expected}"
            )
    dem, dem_grid, _ = read_raster(dem_tif)
    result = process_pair(reference, secondary, dem, dem_grid, grid, config["interferogram"])
    tags = {
        **pair_tags(config, pair_record(pair)),
        **pair_geometry_tags(reference.geometry, secondary.geometry, grid, dem, dem_grid),
        "engine": "builtin",
        "engine_version": f"massmove {__version__}",
        **{k: round(v, 4) for k, v in result.diagnostics.items()},
    }
    write_cog(
        product_tif, [result.wrapped_phase_rad, result.coherence], ["wrapped_phase", "coherence"], grid, tags
    )
