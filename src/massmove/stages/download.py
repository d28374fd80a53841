"""Stages of the download rules (``download.smk``): SLC scenes or their bursts, orbit files
and the DEM."""

from __future__ import annotations

import logging
from pathlib import Path

from massmove.errors import ConfigError
from massmove.settings import StageSettings

log = logging.getLogger(__name__)


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
