"""ASF search (live, or replayed from a saved response) and the pairs it implies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from massmove.asf.aoi import aoi_geometry
from massmove.asf.pairing import (
    PairingReport,
    PassPair,
    build_pairs,
    group_passes,
    pass_pair_table,
    period_of,
    screen,
)
from massmove.asf.records import SceneRecord, geojson_of, load_response, record_from_properties
from massmove.errors import InputError, ProcessingError
from massmove.io.atomic import atomic_path
from massmove.pairs import Track

log = logging.getLogger(__name__)


@dataclasses.dataclass
class SearchOutcome:
    """Records found, the pairs they make and the report of what was left out."""

    records: list[SceneRecord]
    pairs: list[PassPair]
    report: PairingReport
    raw_responses: dict[str, Any]  # name -> path of a replayed file, or GeoJSON of a live query


def response_paths(config: Mapping[str, Any], base_dir: str | Path = ".") -> list[Path]:
    """The saved responses ``search.response`` names (one path or a list), resolved."""
    response = config["search"]["response"]
    if response is None:
        return []
    names = [response] if isinstance(response, str) else list(response)
    return [Path(n) if Path(n).is_absolute() else Path(base_dir) / n for n in names]


def query_asf(config: Mapping[str, Any], track: str) -> tuple[list[SceneRecord], dict[str, Any]]:
    """Query ASF for one track's IW SLCs over the AOI and period (needs the network)."""
    import asf_search

    parsed = Track.parse(track)
    start, end = period_of(config)
    aoi = aoi_geometry(config["aoi"])
    results = asf_search.search(
        platform=[asf_search.PLATFORM.SENTINEL1],
        processingLevel=asf_search.PRODUCT_TYPE.SLC,
        beamMode=asf_search.BEAMMODE.IW,
        relativeOrbit=parsed.relative_orbit,
        flightDirection=parsed.direction.upper(),
        intersectsWith=aoi.wkt,
        start=dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC),
        end=dt.datetime.combine(end, dt.time.max, tzinfo=dt.UTC),
        maxResults=config["search"]["max_results"],
    )
    records = [record_from_properties(p.properties, p.geometry, f"ASF search {track}") for p in results]
    return records, results.geojson()


def search(config: Mapping[str, Any], *, base_dir: str | Path = ".") -> SearchOutcome:
    """Find scenes and build pairs; replays ``search.response`` when set, else queries ASF."""
    paths = response_paths(config, base_dir)
    raw: dict[str, Any] = {}
    records: list[SceneRecord] = []
    if paths:
        for path in paths:
            records += load_response(path)
            raw[path.name] = path
    else:
        for track in config["tracks"]:
            found, geojson = query_asf(config, track)
            records += found
            raw[f"{track}.geojson"] = geojson
    report = PairingReport()
    aoi = aoi_geometry(config["aoi"], base_dir=base_dir)
    kept = screen(
        records,
        tracks=config["tracks"],
        aoi=aoi,
        period=period_of(config),
        polarisation=config["search"]["polarisation"],
        report=report,
    )
    pairs = build_pairs(
        group_passes(kept),
        tracks=config["tracks"],
        aoi=aoi,
        baselines_days=config["baselines_days"],
        tolerance_hours=config["search"]["tolerance_hours"],
        report=report,
    )
    for rejected in report.rejected:
        log.info("rejected %s: %s", rejected["scene_id"], rejected["reason"])
    for missing in report.baselines_without_pairs:
        log.warning("track %s: no pair at %s days", missing["track"], missing["baseline_days"])
    return SearchOutcome(records, pairs, report, raw)


def write_search(
    outcome: SearchOutcome,
    *,
    raw_dir: str | Path,
    scenes_csv: str | Path,
    pairs_csv: str | Path,
    report_json: str | Path,
) -> None:
    """Write the raw responses, ``scenes.csv``, ``pairs.csv`` and the search report, atomically."""
    if not outcome.pairs:
        raise ProcessingError(
            "the search found no pair: "
            + "; ".join(
                f"{m['track']} at {m['baseline_days']} days" for m in outcome.report.baselines_without_pairs
            )
        )
    with atomic_path(raw_dir, directory=True) as tmp:
        for name, content in outcome.raw_responses.items():
            if isinstance(content, Path):
                shutil.copyfile(content, Path(tmp) / name)
            else:
                (Path(tmp) / name).write_text(json.dumps(content, indent=1))
        (Path(tmp) / "records.geojson").write_text(json.dumps(geojson_of(outcome.records), indent=1))
    with atomic_path(scenes_csv) as tmp:
        pd.DataFrame([r.to_row() for r in outcome.records]).to_csv(tmp, index=False)
    with atomic_path(pairs_csv) as tmp:
        pass_pair_table(outcome.pairs).to_csv(tmp, index=False)
    with atomic_path(report_json) as tmp:
        Path(tmp).write_text(json.dumps(outcome.report.to_dict(), indent=1))


def scene_table(scenes_csv: str | Path) -> pd.DataFrame:
    """``results/scenes.csv`` indexed by scene id."""
    path = Path(scenes_csv)
    if not path.is_file():
        raise InputError(f"scene table not found: {path}")
    return pd.read_csv(path).set_index("scene_id")


def scene_row(scenes_csv: str | Path, scene_id: str) -> pd.Series:
    """The row of one scene in ``results/scenes.csv``; the scene must be there."""
    scenes = scene_table(scenes_csv)
    if scene_id not in scenes.index:
        raise InputError(f"{scenes_csv}: no scene {scene_id}")
    return scenes.loc[scene_id]
