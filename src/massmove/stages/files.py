"""Workflow stages of ``source: files``: the pair table of the given interferograms, and each
one turned into the interferogram product."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from massmove import __version__
from massmove.errors import InputError
from massmove.files.interferogram import FileInterferogram
from massmove.files.inventory import file_interferograms, selection_of
from massmove.io.atomic import atomic_path
from massmove.io.raster_io import write_cog
from massmove.settings import StageSettings

log = logging.getLogger(__name__)


def files_pairs_stage(config: StageSettings, pairs_csv: str | Path, *, base_dir: str | Path = ".") -> None:
    """Write ``results/pairs.csv`` of the interferograms the files section gives."""
    items = file_interferograms(config["files"], base_dir=base_dir, selection=selection_of(config))
    with atomic_path(pairs_csv) as tmp:
        pd.DataFrame([item.record() for item in items]).to_csv(tmp, index=False)
    log.info("%d interferograms: %s", len(items), ", ".join(item.pair_id for item in items))


def find_file_interferogram(
    config: StageSettings, pair_id: str, *, base_dir: str | Path = "."
) -> FileInterferogram:
    """The given interferogram of ``pair_id``."""
    for item in file_interferograms(config["files"], base_dir=base_dir, selection=selection_of(config)):
        if item.pair_id == pair_id:
            return item
    raise InputError(f"pair {pair_id}: no such interferogram in the files section")


def import_interferogram_stage(
    config: StageSettings, pair_id: str, product_tif: str | Path, *, base_dir: str | Path = "."
) -> None:
    """Check one given interferogram and write it as the interferogram product."""
    from massmove.asf.aoi import aoi_geometry
    from massmove.files.convert import convert
    from massmove.pairs import pair_tags

    item = find_file_interferogram(config, pair_id, base_dir=base_dir)
    converted = convert(
        item,
        aoi=aoi_geometry(config["aoi"], base_dir=base_dir),
        crs=config["crs"],
        posting_m=config["posting_m"],
    )
    tags = {**pair_tags(config, item.record()), **converted.tags, "massmove_version": __version__}
    if converted.tags["coarser_than_posting"] == "yes":
        log.warning(
            "%s: input posting %.1f m is %.2f times coarser than posting_m %.1f m, the posting the "
            "detector reads; it is processed, and flagged in the product tags and the report",
            item.phase,
            converted.tags["native_posting_m"],
            converted.tags["posting_ratio"],
            config["posting_m"],
        )
    write_cog(
        product_tif,
        [converted.wrapped_phase_rad, converted.coherence],
        ["wrapped_phase", "coherence"],
        converted.grid,
        tags,
    )
    log.info(
        "%s: %s (%s) -> %d x %d px, coherence %s",
        pair_id,
        item.phase,
        item.layout,
        *converted.grid.shape,
        converted.tags["coherence_source"],
    )
