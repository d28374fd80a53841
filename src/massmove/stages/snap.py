"""Workflow stages of the SNAP engine: the graph of a pair, and gpt's run turned into the product."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from massmove import __version__
from massmove.asf.aoi import aoi_geometry
from massmove.errors import ConfigError, InputError
from massmove.io.atomic import atomic_path
from massmove.io.raster_io import write_cog
from massmove.pairs import pair_row, pair_tags, pass_scene_ids
from massmove.products import product_grid_for
from massmove.settings import StageSettings

log = logging.getLogger(__name__)


def snap_graph_stage(
    config: StageSettings,
    pair_id: str,
    pairs_csv: str | Path,
    reference_zips: Sequence[str | Path],
    secondary_zips: Sequence[str | Path],
    dem_tif: str | Path | None,
    graph_xml: str | Path,
    bursts_json: str | Path,
    output_stem: str | Path,
) -> None:
    """Select the bursts of the pair and write its SNAP graph (and the selection) for audits."""
    from massmove.snap.gpt import find_gpt
    from massmove.snap.graph import GraphSettings, build_graph, write_graph
    from massmove.snap.plan import plan_bursts

    row = pair_row(pairs_csv, pair_id)
    for role, given in (("reference", reference_zips), ("secondary", secondary_zips)):
        column = f"{role}_scene"
        expected = sorted(pass_scene_ids(row, role))
        names = sorted(Path(p).stem for p in given)
        if names != expected:
            raise InputError(
                f"{pairs_csv}: pair {pair_id} needs {column} {expected}, the rule was given {names}"
            )
    plan = plan_bursts(
        reference_zips,
        secondary_zips,
        config["search"]["polarisation"],
        aoi_geometry(config["aoi"]),
        esd=config["snap"]["esd"],
    )
    settings = GraphSettings.from_config(config, dem_tif, product_grid_for(config))
    # node defaults come from SNAP where gpt belongs to an installation; a missing gpt is fine here
    try:
        gpt = find_gpt(config["snap"]["gpt"])
    except ConfigError:
        gpt = None
    workflow = build_graph(plan, settings, output_stem, gpt=gpt)
    write_graph(workflow, graph_xml)
    with atomic_path(bursts_json) as tmp:
        Path(tmp).write_text(json.dumps(plan.to_dict(), indent=1))
    log.info("graph of %s: %d nodes, subswaths %s", pair_id, len(workflow), [s.swath for s in plan.swaths])


def snap_interferogram_stage(
    config: StageSettings,
    pair_id: str,
    pairs_csv: str | Path,
    graph_xml: str | Path,
    orbit_files: Sequence[str | Path],
    orbit_records: Sequence[str | Path],
    product_tif: str | Path,
    *,
    threads: int,
    mem_mb: int,
) -> None:
    """Run gpt on the pair's graph and convert SNAP's output into the interferogram product."""
    from massmove.snap.dimap import read_snap_interferogram
    from massmove.snap.gpt import find_gpt, gpt_command, place_orbit_files, run_gpt, snap_version
    from massmove.snap.graph import read_graph

    row = pair_row(pairs_csv, pair_id)
    gpt = find_gpt(config["snap"]["gpt"])
    version = snap_version(gpt)
    place_orbit_files(orbit_files, orbit_records, config["snap"]["auxdata_dir"])
    output_stem = Path(read_graph(graph_xml)["Write"].parameters["file"])
    dim = output_stem.with_suffix(".dim")
    _remove_dimap(dim)  # never trust what an interrupted run left
    command = gpt_command(
        gpt, graph_xml, threads=threads, mem_mb=mem_mb, memory_fraction=config["snap"]["memory_fraction"]
    )
    run_gpt(command)
    grid = product_grid_for(config)
    result = read_snap_interferogram(dim, grid)
    meta = result.metadata
    if meta["relative_orbit"] != int(row["relative_orbit"]) or meta["pass"] != row["direction"]:
        raise InputError(
            f"{dim}: SNAP's product is {meta['pass']} relative orbit {meta['relative_orbit']}, "
            f"pair {pair_id} is {row['direction']} {row['relative_orbit']}"
        )
    tags = {
        **pair_tags(config, row),
        "perpendicular_baseline_m": round(meta["perpendicular_baseline_m"], 2),
        "wavelength_m": round(meta["wavelength_m"], 8),
        "heading_deg": round(meta["heading_deg"], 3),
        "incidence_deg": round(meta["incidence_deg"], 3),
        "engine": "snap",
        "engine_version": f"SNAP {version} (massmove {__version__})",
    }
    write_cog(
        product_tif, [result.wrapped_phase_rad, result.coherence], ["wrapped_phase", "coherence"], grid, tags
    )
    _remove_dimap(dim)
    log.info("%s: product written (%d x %d px)", pair_id, *grid.shape)


def _remove_dimap(dim: Path) -> None:
    shutil.rmtree(dim.with_suffix(".data"), ignore_errors=True)
    dim.unlink(missing_ok=True)
