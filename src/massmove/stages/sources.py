"""Stages of the source rules: the synthetic scene, the built-in engine, real acquisitions
(search, downloads, orbits, DEM)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from massmove import __version__
from massmove.errors import ConfigError, InputError
from massmove.io.raster_io import read_raster, write_cog
from massmove.io.slc_store import read_slc_store, write_slc_store
from massmove.io.vector import write_gpkg
from massmove.pairs import Pair, pair_record, synthetic_pairs, write_pair_table
from massmove.raster import Grid
from massmove.settings import StageSettings

if TYPE_CHECKING:
    from massmove.simulate.truth import PairTruth

log = logging.getLogger(__name__)


def find_pair(config: StageSettings, pair_id: str) -> Pair:
    """The pair of the config with this id."""
    for pair in synthetic_pairs(config):
        if pair.pair_id == pair_id:
            return pair
    raise ConfigError(f"pair {pair_id} is not implied by the config (tracks x baselines_days x dates)")


def pairs_stage(config: StageSettings, pairs_csv: str | Path) -> None:
    """Write ``results/pairs.csv``."""
    write_pair_table(synthetic_pairs(config), pairs_csv)


def simulate_ground_stage(
    config: StageSettings, ground_store: str | Path, dem_tif: str | Path, movements_gpkg: str | Path
) -> None:
    """Simulate the ground; write the ground store, the processor's DEM and the movement inventory."""
    from massmove.simulate.ground import processor_dem, simulate_ground, write_ground
    from massmove.simulate.landslides import movement_inventory

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


def simulate_acquisition_stage(
    config: StageSettings, ground_store: str | Path, scene_id: str, slc_store: str | Path
) -> None:
    """Simulate one SLC acquisition and write its store."""
    from massmove.simulate.ground import read_ground
    from massmove.simulate.imaging import form_slc, scene_metadata, track_context

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


def pair_tags(config: StageSettings, record: Mapping[str, Any]) -> dict[str, Any]:
    """Product tags of a pair from its pair-table row (``pair_record``, ``results/pairs.csv`` or
    a given interferogram's ``record``, whose relative orbit may be ``unknown``)."""
    orbit = record["relative_orbit"]
    return {
        "pair_id": record["pair_id"],
        "track": record["track"],
        "direction": record["direction"],
        "relative_orbit": int(orbit) if str(orbit).isdigit() else orbit,
        "reference": record["reference_datetime"],
        "secondary": record["secondary_datetime"],
        "reference_scene": record["reference_scene"],
        "secondary_scene": record["secondary_scene"],
        "baseline_days": int(record["baseline_days"]),
        "settings_digest": config.digest,
    }


def simulate_truth_stage(
    config: StageSettings,
    ground_store: str | Path,
    dem_tif: str | Path,
    pair_id: str,
    patterns_gpkg: str | Path,
    phase_tif: str | Path,
) -> None:
    """Write the truth of one pair: visible patterns and the noise-free phase and coherence."""
    from massmove.simulate.ground import product_grid, read_ground
    from massmove.simulate.imaging import track_context
    from massmove.simulate.truth import pair_truth

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


def phase_domain_stage(
    config: StageSettings, ground_store: str | Path, dem_tif: str | Path, scene_dir: str | Path
) -> None:
    """Write every pair of the scene drawn by the phase-domain generator into ``scene_dir``:
    ``interferograms/{pair}.tif`` (the product contract, engine ``phase-domain``),
    ``truth/{pair}.gpkg`` and ``truth/{pair}_phase.tif``."""
    from massmove.simulate.ground import product_grid, read_ground
    from massmove.simulate.imaging import track_context
    from massmove.simulate.phase_domain import phase_domain_config, phase_domain_pair

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


def product_grid_for(config: StageSettings) -> Grid:
    """The product grid the config asks for."""
    if config["source"] == "synthetic":
        from massmove.simulate.ground import product_grid

        return product_grid(config)
    if config["source"] == "asf":
        from massmove.asf.aoi import aoi_geometry, aoi_grid

        return aoi_grid(aoi_geometry(config["aoi"]), config["crs"], config["posting_m"])
    raise ConfigError(f"config key 'source': no product grid for source {config['source']!r}")


def interferogram_stage(
    config: StageSettings,
    pair_id: str,
    reference_store: str | Path,
    secondary_store: str | Path,
    dem_tif: str | Path,
    product_tif: str | Path,
) -> None:
    """Build the interferogram product of one pair with the built-in engine."""
    from massmove.insar.engine import pair_geometry_tags, process_pair

    pair = find_pair(config, pair_id)
    reference = read_slc_store(reference_store)
    secondary = read_slc_store(secondary_store)
    for scene, expected in ((reference, pair.reference.scene_id), (secondary, pair.secondary.scene_id)):
        if scene.metadata.get("scene_id") != expected:
            raise InputError(
                f"{reference_store if scene is reference else secondary_store}: holds scene "
                f"{scene.metadata.get('scene_id')!r}, pair {pair_id} needs {expected}"
            )
    dem, dem_grid, _ = read_raster(dem_tif)
    grid = product_grid_for(config)
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


# --- real acquisitions (source: asf) ------------------------------------------------------


def search_stage(
    config: StageSettings,
    raw_dir: str | Path,
    scenes_csv: str | Path,
    pairs_csv: str | Path,
    report_json: str | Path,
    *,
    base_dir: str | Path = ".",
) -> None:
    """Search ASF (or replay ``search.response``), write raw responses, scenes, pairs, report
    and the bursts to download (``download.granularity: burst``)."""
    from massmove.asf.search import search, write_search

    outcome = search(config, base_dir=base_dir)
    log.info("%d records, %d pairs", len(outcome.records), len(outcome.pairs))
    write_search(
        outcome,
        raw_dir=raw_dir,
        scenes_csv=scenes_csv,
        pairs_csv=pairs_csv,
        report_json=report_json,
    )


def download_stage(
    config: StageSettings, scene_id: str, scenes_csv: str | Path, zip_path: str | Path
) -> None:
    """Download one SLC, resuming and verifying size and md5."""
    from massmove.asf.download import download_verified, earthdata_session
    from massmove.asf.search import scene_row

    row = scene_row(scenes_csv, scene_id)
    params = config["download"]
    download_verified(
        str(row["url"]),
        zip_path,
        size_bytes=int(row["size_bytes"]) or None,
        md5=str(row["md5"]) or None,
        session=earthdata_session(params["credential_hosts"]),
        retries=params["retries"],
        backoff_s=params["backoff_s"],
        timeout_s=params["timeout_s"],
    )


def orbit_stage(
    config: StageSettings,
    scene_id: str,
    scenes_csv: str | Path,
    eof_path: str | Path,
    record_json: str | Path,
    *,
    base_dir: str | Path = ".",
) -> None:
    """Fetch the orbit file of one scene (precise, else restituted with a recorded warning)."""
    import datetime as dt

    from massmove.asf.orbits import fetch_orbit
    from massmove.asf.search import scene_row

    row = scene_row(scenes_csv, scene_id)
    local = config["orbits"]["path"]
    if local is not None and not Path(local).is_absolute():
        local = Path(base_dir) / local
    fetch_orbit(
        scene_id,
        dt.datetime.fromisoformat(str(row["start_utc"])),
        eof_path,
        record_json,
        orbit_type=config["orbits"]["type"],
        local_dir=local,
    )


def dem_stage(
    config: StageSettings, dem_tif: str | Path, tile_dir: str | Path, *, base_dir: str | Path = "."
) -> None:
    """The DEM of the AOI in the map CRS (user DEM or Copernicus GLO-30 tiles)."""
    from massmove.asf.aoi import aoi_geometry
    from massmove.asf.dem import fetch_dem

    Path(tile_dir).mkdir(parents=True, exist_ok=True)
    used = fetch_dem(
        aoi_geometry(config["aoi"], base_dir=base_dir), config, dem_tif, tile_dir, base_dir=base_dir
    )
    log.info("DEM from %s", ", ".join(used))


def download_bursts_stage(
    config: StageSettings, scene_id: str, search_dir: str | Path, bursts_dir: str | Path
) -> None:
    """Download the bursts of one scene that ``results/search/bursts.csv`` lists."""
    from massmove.asf.burst_safe import download_scene_bursts
    from massmove.asf.bursts import read_burst_table
    from massmove.asf.download import earthdata_session

    table = read_burst_table(search_dir)
    rows = table[table["scene_id"] == scene_id].to_dict("records")
    params = config["download"]
    download_scene_bursts(
        rows,
        bursts_dir,
        session=earthdata_session(params["credential_hosts"]),
        retries=params["retries"],
        backoff_s=params["backoff_s"],
        timeout_s=params["timeout_s"],
    )
    log.info("%s: %d bursts, %d bytes", scene_id, len(rows), int(sum(r["size_bytes"] for r in rows)))


def assemble_safe_stage(config: StageSettings, bursts_dir: str | Path, slc_zip: str | Path) -> None:
    """Assemble one scene's bursts into the SAFE zip SNAP reads (burst2safe)."""
    from massmove.asf.burst_safe import assemble_safe

    if config["download"]["granularity"] != "burst":
        raise ConfigError("config key 'download.granularity': SAFE assembly serves burst downloads only")
    assemble_safe(bursts_dir, slc_zip)
