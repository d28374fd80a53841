"""The synthetic scene's files: the ground, the SLC acquisitions, the truth of each pair, and a
whole labelled scene (interferograms and truth) for training and calibration."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from massmove import __version__
from massmove.grid import Grid
from massmove.insar.product import write_builtin_product
from massmove.io.raster_io import read_raster, write_cog
from massmove.io.slc_store import write_slc_store
from massmove.io.vector import write_gpkg
from massmove.pairs import find_pair, pair_record, pair_tags, synthetic_acquisitions, synthetic_pairs
from massmove.settings import StageSettings
from massmove.simulate.ground import processor_dem, product_grid, read_ground, simulate_ground, write_ground
from massmove.simulate.imaging import form_slc, scene_metadata, track_context
from massmove.simulate.landslides import movement_inventory
from massmove.simulate.phase_domain import phase_domain_config, phase_domain_pair
from massmove.simulate.truth import PairTruth, pair_truth

log = logging.getLogger(__name__)


def write_ground_products(
    config: StageSettings, ground_store: str | Path, dem_tif: str | Path, movements_gpkg: str | Path
) -> None:
    """Simulate the ground; write the ground store, the processor's DEM and the movement inventory."""
    digest = config.digest
    ground = simulate_ground(config)
    log.info("ground %s: %d movements", ground.grid.shape, len(ground.movements))
    dem, dem_grid = processor_dem(config, ground)
    write_cog(
        dem_tif,
        [dem],
        ["height_m"],
        dem_grid,
        {"source": "synthetic", "settings_digest": digest, "massmove_version": __version__},
        overview_resampling="AVERAGE",
    )
    frame = movement_inventory(ground.movements, config["crs"])
    write_gpkg(movements_gpkg, frame, layer="movements")
    write_ground(ground_store, ground, digest)


def write_acquisition(
    config: StageSettings, ground_store: str | Path, scene_id: str, slc_store: str | Path
) -> None:
    """Simulate one SLC acquisition and write its store."""
    track = scene_id.split("_")[1]
    ground = read_ground(ground_store)
    context = track_context(config, ground, track)
    slc = form_slc(config, ground, context, scene_id)
    orbit = context.orbits[scene_id]
    log.info("%s: %s SLC, misregistration %s px", scene_id, slc.shape, orbit.misregistration_px)
    write_slc_store(
        slc_store,
        slc,
        orbit.annotated,
        scene_metadata(context, scene_id, config.digest),
        reference_height_m=float(ground.height_m.mean()),
    )


def write_pair_truth(
    config: StageSettings,
    ground_store: str | Path,
    dem_tif: str | Path,
    pair_id: str,
    patterns_gpkg: str | Path,
    phase_tif: str | Path,
) -> None:
    """Write the truth of one pair: visible patterns and the noise-free phase and coherence."""
    pair = find_pair(config, pair_id)
    ground = read_ground(ground_store)
    dem, dem_grid, _ = read_raster(dem_tif)
    context = track_context(config, ground, pair.track)
    truth = pair_truth(config, ground, context, pair, product_grid(config), dem, dem_grid)
    write_truth(truth, product_grid(config), pair_tags(config, pair_record(pair)), patterns_gpkg, phase_tif)


def write_truth(
    truth: PairTruth, grid: Grid, tags: Mapping[str, Any], patterns_gpkg: str | Path, phase_tif: str | Path
) -> None:
    """Write a pair's truth: the visible patterns and
    the noise-free phase and coherence, tagged ``tags`` and as the truth engine."""
    log.info("%s: visible patterns %s", tags["pair_id"], truth.patterns["class"].value_counts().to_dict())
    write_cog(
        phase_tif,
        [truth.wrapped_phase_rad, truth.coherence],
        ["wrapped_phase", "coherence"],
        grid,
        {**tags, "engine": "truth (noise-free)", "engine_version": __version__},
    )
    write_gpkg(patterns_gpkg, truth.patterns, layer="patterns")


def write_phase_domain_scene(
    config: StageSettings, ground_store: str | Path, dem_tif: str | Path, scene_dir: str | Path
) -> None:
    """Write every pair of the scene drawn by the phase-domain generator into ``scene_dir``:
    ``interferograms/{pair}.tif`` (the product contract, engine ``phase-domain``),
    ``truth/{pair}.gpkg`` and ``truth/{pair}_phase.tif``."""
    scene_dir = Path(scene_dir)
    generator_config = phase_domain_config(config, config["train"]["phase_domain"]["scatterer_spacing_m"])
    ground = read_ground(ground_store)
    dem, dem_grid, _ = read_raster(dem_tif)
    grid = product_grid(config)
    contexts = {track: track_context(generator_config, ground, track) for track in config["tracks"]}
    for pair in synthetic_pairs(config):
        drawn = phase_domain_pair(generator_config, ground, contexts[pair.track], pair, grid, dem, dem_grid)
        tags = {**pair_tags(config, pair_record(pair)), **drawn.geometry_tags}
        write_cog(
            scene_dir / "interferograms" / f"{pair.pair_id}.tif",
            [drawn.wrapped_phase_rad, drawn.coherence],
            ["wrapped_phase", "coherence"],
            grid,
            {**tags, "engine": "phase-domain", "engine_version": f"massmove {__version__}"},
        )
        write_truth(
            drawn.truth,
            grid,
            tags,
            scene_dir / "truth" / f"{pair.pair_id}.gpkg",
            scene_dir / "truth" / f"{pair.pair_id}_phase.tif",
        )


def write_labelled_scene(config: StageSettings, scene_dir: Path) -> None:
    """Write a labelled scene into the (new, empty) ``scene_dir``: ``interferograms/{pair}.tif``,
    ``truth/{pair}.gpkg``, the noise-free ``truth/{pair}_phase.tif`` and
    ``truth/movements.gpkg``. ``train.generator`` slc makes them as the detection scene is made
    (SLCs focused, then the built-in engine; the SLCs are intermediate and removed); phase draws
    each pair from its expected signal (:mod:`massmove.simulate.phase_domain`)."""
    work = scene_dir / "work"
    ground, dem = work / "ground.zarr", work / "dem.tif"
    write_ground_products(config, ground, dem, scene_dir / "truth" / "movements.gpkg")
    if config["train"]["generator"] == "phase":
        write_phase_domain_scene(config, ground, dem, scene_dir)
    else:
        _write_slc_pairs(config, ground, dem, scene_dir)
    shutil.rmtree(work)


def _write_slc_pairs(config: StageSettings, ground: Path, dem: Path, scene_dir: Path) -> None:
    """The pairs of a labelled scene from focused SLCs (the detection scene's stages)."""
    work = scene_dir / "work"
    acquisitions = [a for track in config["tracks"] for a in synthetic_acquisitions(config, track)]
    for acquisition in acquisitions:
        log.info("SLC %s", acquisition.scene_id)
        write_acquisition(config, ground, acquisition.scene_id, work / f"{acquisition.scene_id}.zarr")
    for pair in synthetic_pairs(config):
        log.info("pair %s", pair.pair_id)
        write_pair_truth(
            config,
            ground,
            dem,
            pair.pair_id,
            scene_dir / "truth" / f"{pair.pair_id}.gpkg",
            scene_dir / "truth" / f"{pair.pair_id}_phase.tif",
        )
        write_builtin_product(
            config,
            pair,
            work / f"{pair.reference.scene_id}.zarr",
            work / f"{pair.secondary.scene_id}.zarr",
            dem,
            product_grid(config),
            scene_dir / "interferograms" / f"{pair.pair_id}.tif",
        )
