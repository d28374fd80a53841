"""ASF search (live, or replayed from a saved response) and the pairs it implies."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from massmove.asf.aoi import aoi_geometry
from massmove.asf.bursts import (
    BURST_TABLE,
    BurstRecord,
    burst_savings,
    bursts_for_scenes,
    load_burst_response,
    query_bursts,
    write_burst_table,
)
from massmove.asf.pairing import (
    PairingReport,
    PassPair,
    build_pairs,
    group_passes,
    pair_scenes,
    pass_pair_table,
    period_of,
    query_window,
    screen,
)
from massmove.asf.records import SceneRecord, geojson_of, load_response, record_from_properties
from massmove.errors import InputError, ProcessingError
from massmove.io.atomic import atomic_path
from massmove.settings import StageSettings

log = logging.getLogger(__name__)


@dataclasses.dataclass
class SearchOutcome:
    """Records found, the pairs they make and the report of what was left out."""

    records: list[SceneRecord]
    pairs: list[PassPair]
    report: PairingReport
    raw_responses: dict[str, Any]  # name -> path of a replayed file, or GeoJSON of a live query
    # download.granularity burst: the bursts to download, and their bytes against whole scenes
    bursts: list[BurstRecord] = dataclasses.field(default_factory=list)
    downloads: dict[str, Any] = dataclasses.field(default_factory=dict)


def response_paths(config: StageSettings, base_dir: str | Path = ".", key: str = "response") -> list[Path]:
    """The saved responses ``search.{key}`` names (one path or a list), resolved."""
    response = config["search"][key]
    if response is None:
        return []
    names = [response] if isinstance(response, str) else list(response)
    return [Path(n) if Path(n).is_absolute() else Path(base_dir) / n for n in names]


def query_asf(config: StageSettings, track: str) -> tuple[list[SceneRecord], dict[str, Any]]:
    """Query ASF for one track's IW SLCs over the AOI and period (needs the network)."""
    import asf_search

    results = asf_search.search(
        platform=[asf_search.PLATFORM.SENTINEL1],
        processingLevel=asf_search.PRODUCT_TYPE.SLC,
        beamMode=asf_search.BEAMMODE.IW,
        **query_window(config, track, aoi_geometry(config["aoi"])),
    )
    records = [record_from_properties(p.properties, p.geometry, f"ASF search {track}") for p in results]
    return records, results.geojson()


def search(config: StageSettings, *, base_dir: str | Path = ".") -> SearchOutcome:
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
    outcome = SearchOutcome(records, pairs, report, raw)
    scene_bytes = {scene_id: record.size_bytes for scene_id, record in pair_scenes(pairs).items()}
    outcome.downloads = {
        "granularity": "scene",
        "scenes": len(scene_bytes),
        "scene_bytes": sum(scene_bytes.values()),
    }
    if needs_bursts(config):
        outcome.bursts = burst_downloads(config, pairs, aoi, raw, base_dir=base_dir)
    if config["download"]["granularity"] == "burst":
        outcome.downloads = burst_savings(outcome.bursts, scene_bytes)
        log.info(
            "%d bursts, %.1f GB, instead of %d scenes, %.1f GB",
            len(outcome.bursts),
            outcome.downloads["burst_bytes"] / 1e9,
            len(scene_bytes),
            outcome.downloads["scene_bytes"] / 1e9,
        )
    return outcome


def needs_bursts(config: StageSettings) -> bool:
    """Whether the run works on bursts: burst downloads for SNAP, or HyP3's multi-burst jobs."""
    multi_burst = (
        config["interferogram"]["engine"] == "hyp3" and config["hyp3"]["job_type"] == "INSAR_ISCE_MULTI_BURST"
    )
    return bool(config["download"]["granularity"] == "burst" or multi_burst)


def burst_downloads(
    config: StageSettings,
    pairs: list[PassPair],
    aoi: Any,
    raw: dict[str, Any],
    *,
    base_dir: str | Path = ".",
) -> list[BurstRecord]:
    """The bursts the pairs need (replayed ``search.burst_response``, else ASF's SLC-BURST
    collection); every scene of a pair must have some."""
    found: list[BurstRecord] = []
    if config["search"]["burst_response"] is not None:
        for path in response_paths(config, base_dir, key="burst_response"):
            found += load_burst_response(path)
            raw[f"bursts_{path.name}"] = path
    else:
        for track in config["tracks"]:
            bursts, geojson = query_bursts(config, track, aoi)
            found += bursts
            raw[f"bursts_{track}.geojson"] = geojson
    passes = [
        ([s.scene_id for s in pair.reference.slices], [s.scene_id for s in pair.secondary.slices])
        for pair in pairs
    ]
    chosen = bursts_for_scenes(found, passes, aoi, config["search"]["polarisation"])
    covered = {b.scene_id for b in chosen}
    missing = sorted({s for ref, sec in passes for s in (*ref, *sec)} - covered)
    if missing:
        raise ProcessingError(
            f"download.granularity burst: no burst over the AOI shared by both passes for {len(missing)} "
            f"scene(s) ({missing[0]}, ...); the burst catalogue lacks them, use granularity scene"
        )
    return chosen


def write_search(
    outcome: SearchOutcome,
    *,
    raw_dir: str | Path,
    scenes_csv: str | Path,
    pairs_csv: str | Path,
    report_json: str | Path,
) -> None:
    """Write the raw responses, ``scenes.csv``, ``pairs.csv``, the search report (with the bytes
    to download) and the bursts to download (``bursts.csv`` in the raw folder), atomically."""
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
        write_burst_table(outcome.bursts, Path(tmp) / BURST_TABLE)
    with atomic_path(scenes_csv) as tmp:
        pd.DataFrame([r.to_row() for r in outcome.records]).to_csv(tmp, index=False)
    with atomic_path(pairs_csv) as tmp:
        pass_pair_table(outcome.pairs).to_csv(tmp, index=False)
    with atomic_path(report_json) as tmp:
        Path(tmp).write_text(
            json.dumps({**outcome.report.to_dict(), "downloads": outcome.downloads}, indent=1)
        )


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
