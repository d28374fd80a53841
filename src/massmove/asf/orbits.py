"""Orbit files of real acquisitions: precise (POEORB) first, restituted (RESORB) as a fallback."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from massmove.errors import InputError, ProcessingError
from massmove.io.atomic import atomic_path

log = logging.getLogger(__name__)
EOF_NAME = re.compile(
    r"^(?P<mission>S1[ABCD])_OPER_AUX_(?P<kind>POEORB|RESORB)_OPOD_\d{8}T\d{6}_V(?P<start>\d{8}T\d{6})_(?P<stop>\d{8}T\d{6})\.EOF$"
)
KIND = {"precise": "POEORB", "restituted": "RESORB"}


def _covers(path: Path, mission: str, when: dt.datetime) -> str | None:
    match = EOF_NAME.match(path.name)
    if not match or match["mission"] != mission:
        return None
    start = dt.datetime.strptime(match["start"], "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
    stop = dt.datetime.strptime(match["stop"], "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
    return match["kind"] if start <= when <= stop else None


def find_local_orbit(directory: Path, mission: str, when: dt.datetime, kinds: list[str]) -> Path | None:
    """An orbit file in ``directory`` of one of ``kinds`` (in order) covering ``when``."""
    for kind in kinds:
        for path in sorted(directory.glob("*.EOF")):
            if _covers(path, mission, when) == kind:
                return path
    return None


def _sentineleof(when: dt.datetime, mission: str, save_dir: Path, orbit_type: str) -> list[Path]:
    from eof.download import download_eofs

    return [Path(p) for p in download_eofs([when], [mission], save_dir=str(save_dir), orbit_type=orbit_type)]


def fetch_orbit(
    scene_id: str,
    start_utc: dt.datetime,
    destination: str | Path,
    record_json: str | Path,
    *,
    orbit_type: str = "precise",
    local_dir: str | Path | None = None,
    downloader: Callable[[dt.datetime, str, Path, str], list[Path]] = _sentineleof,
) -> dict[str, Any]:
    """Get the orbit file of one scene; write it and a JSON record of what was used.

    Precise orbits come about three weeks after acquisition; when none is found, restituted
    orbits are used instead and the record says so (``fallback``, ``warning``), so that
    provenance shows it.
    """
    mission = scene_id[:3]
    order = ["precise", "restituted"] if orbit_type == "precise" else ["restituted"]
    destination = Path(destination)
    found: Path | None = None
    used = ""
    errors: list[str] = []
    scratch = destination.parent / f".{destination.name}.download"
    for kind in order:
        if local_dir is not None:
            found = find_local_orbit(Path(local_dir), mission, start_utc, [KIND[kind]])
        else:
            scratch.mkdir(parents=True, exist_ok=True)
            try:
                files = [
                    p for p in downloader(start_utc, mission, scratch, kind) if _covers(p, mission, start_utc)
                ]
                found = files[0] if files else None
            except Exception as err:  # sentineleof raises many kinds; the next kind is tried
                errors.append(f"{kind}: {type(err).__name__}: {' '.join(str(err).split())[:200]}")
        if found:
            used = kind
            break
    if found is None:
        shutil.rmtree(scratch, ignore_errors=True)
        where = f"in {local_dir}" if local_dir is not None else "from the orbit services"
        raise (InputError if local_dir is not None else ProcessingError)(
            f"{scene_id}: no {' or '.join(order)} orbit file covering {start_utc.isoformat()} {where}"
            + (f" ({'; '.join(errors)})" if errors else "")
        )
    record = {
        "scene_id": scene_id,
        "orbit_file": found.name,
        "orbit_type": used,
        "fallback": used != orbit_type,
        "warning": (
            f"precise orbit not available; restituted orbit {found.name} used" if used != orbit_type else ""
        ),
        "source": str(local_dir) if local_dir is not None else "sentineleof",
    }
    if record["fallback"]:
        log.warning("%s: %s", scene_id, record["warning"])
    with atomic_path(destination) as tmp:
        shutil.copyfile(found, tmp)
    with atomic_path(record_json) as tmp:
        Path(tmp).write_text(json.dumps(record, indent=1))
    shutil.rmtree(scratch, ignore_errors=True)
    return record
