"""Workflow stages of the HyP3 engine: the jobs of a pair (submitted or found again, waited
for, products downloaded), and their products turned into the interferogram product."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from massmove import __version__
from massmove.errors import InputError
from massmove.io.atomic import write_json
from massmove.io.raster_io import write_cog
from massmove.pairs import pair_row, pair_tags, pass_scene_ids
from massmove.products import product_grid_for
from massmove.settings import StageSettings

log = logging.getLogger(__name__)


def pass_granules(
    pairs_csv: str | Path, search_dir: str | Path, pair_id: str, job_type: str
) -> tuple[list[str], list[str]]:
    """The granules of a pair's two passes a job type takes: the SLC scenes, or (for
    INSAR_ISCE_MULTI_BURST) the bursts the search chose over the AOI."""
    from massmove.asf.bursts import read_burst_table

    row = pair_row(pairs_csv, pair_id)
    scenes = [pass_scene_ids(row, role) for role in ("reference", "secondary")]
    if job_type != "INSAR_ISCE_MULTI_BURST":
        return scenes[0], scenes[1]
    bursts = read_burst_table(search_dir)
    granules = [sorted(bursts[bursts["scene_id"].isin(ids)]["granule"]) for ids in scenes]
    if not granules[0] or not granules[1]:
        raise InputError(
            f"{search_dir}/bursts.csv: no burst of pair {pair_id} (the search needs the burst catalogue)"
        )
    return granules[0], granules[1]


def hyp3_product_stage(
    config: StageSettings,
    pair_id: str,
    pairs_csv: str | Path,
    search_dir: str | Path,
    product_dir: str | Path,
    record_json: str | Path,
) -> None:
    """Submit (or find again) the HyP3 jobs of one pair, wait for them, download their products."""
    from massmove.hyp3.jobs import (
        api_errors,
        download_product,
        hyp3_client,
        job_requests,
        submit_or_reuse,
        wait_for,
    )

    settings = config["hyp3"]
    reference, secondary = pass_granules(pairs_csv, search_dir, pair_id, settings["job_type"])
    requests = job_requests(settings, pair_id, reference, secondary, config["posting_m"])
    with api_errors(settings["api_url"]):
        client = hyp3_client(settings["api_url"], config["download"]["credential_hosts"])
        jobs = [submit_or_reuse(client, request) for request in requests]
    Path(product_dir).mkdir(parents=True, exist_ok=True)
    records = []
    for job, submitted in jobs:
        with api_errors(settings["api_url"]):
            done = wait_for(client, job, timeout_s=settings["timeout_s"], poll_s=settings["poll_s"])
        params = config["download"]
        path = download_product(
            done,
            product_dir,
            retries=params["retries"],
            backoff_s=params["backoff_s"],
            timeout_s=params["timeout_s"],
        )
        records.append(
            {
                "job_id": done.job_id,
                "name": done.name,
                "job_type": done.job_type,
                "job_parameters": done.job_parameters,
                "submitted_by_this_run": submitted,
                "product": path.name,
                "size_bytes": path.stat().st_size,
                "credit_cost": done.credit_cost,
            }
        )
        log.info("%s: job %s -> %s (%d bytes)", pair_id, done.job_id, path.name, path.stat().st_size)
    write_json(record_json, {"pair_id": pair_id, "jobs": records}, indent=1)


def hyp3_interferogram_stage(
    config: StageSettings,
    pair_id: str,
    pairs_csv: str | Path,
    product_zips: Sequence[str | Path],
    product_tif: str | Path,
) -> None:
    """Read the pair's HyP3 products (``layout: hyp3``) onto the AOI's grid, slices mosaicked in
    time order, and write the interferogram product."""
    from massmove.asf.aoi import aoi_geometry
    from massmove.files.convert import convert
    from massmove.files.layouts import hyp3_product
    from massmove.hyp3.jobs import extract_product

    row = pair_row(pairs_csv, pair_id)
    if not product_zips:
        raise InputError(f"pair {pair_id}: no HyP3 product was downloaded")
    grid = product_grid_for(config)
    aoi = aoi_geometry(config["aoi"])
    phase = np.full(grid.shape, np.nan, dtype=np.float32)
    coherence = np.full(grid.shape, np.nan, dtype=np.float32)
    tags: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="hyp3_", dir=Path(product_tif).parent) as scratch:
        for index, zip_path in enumerate(sorted(product_zips, key=str)):
            phase_tif = extract_product(zip_path, Path(scratch) / str(index))
            item = hyp3_product(phase_tif)
            if item.track is not None and item.track != row["track"]:
                raise InputError(
                    f"{zip_path}: HyP3 product of track {item.track}, pair {pair_id} is {row['track']}"
                )
            converted = convert(item, aoi=aoi, crs=config["crs"], posting_m=config["posting_m"], grid=grid)
            empty = np.isnan(phase) & np.isfinite(converted.wrapped_phase_rad)
            phase[empty] = converted.wrapped_phase_rad[empty]
            coherence[empty] = converted.coherence[empty]
            tags = {**converted.tags, **tags}  # the first slice's metadata stands for the pass
    tags.update(
        {
            **pair_tags(config, row),
            "engine": f"hyp3 ({tags.get('engine', 'HyP3')})",
            "engine_version": f"HyP3 on demand, products {', '.join(Path(z).name for z in product_zips)} "
            f"(massmove {__version__})",
        }
    )
    tags.pop("input_phase", None)
    tags.pop("input_coherence", None)
    write_cog(product_tif, [phase, coherence], ["wrapped_phase", "coherence"], grid, tags)
    log.info("%s: product from %d HyP3 product(s), %d x %d px", pair_id, len(product_zips), *grid.shape)
