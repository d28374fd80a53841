"""From scene records to interferometric pairs: screening, passes, coverage, baselines."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import shapely

from massmove.asf.records import SceneRecord
from massmove.pairs import Track
from massmove.settings import StageSettings

SLICE_GAP_S = 60.0  # slices of one pass follow each other within seconds
COVERAGE_TOLERANCE = 0.999  # share of the AOI a pass must cover


@dataclasses.dataclass(frozen=True)
class Pass:
    """One overflight of a track: its slices (adjacent frames of one datatake) over the AOI."""

    track: str
    slices: tuple[SceneRecord, ...]

    @property
    def start_utc(self) -> dt.datetime:
        """Start of the first slice."""
        return self.slices[0].start_utc

    @property
    def footprint(self) -> shapely.Geometry:
        """Union of the slice footprints."""
        return shapely.union_all([s.footprint for s in self.slices])

    @property
    def scene_ids(self) -> list[str]:
        """Granule names, in time order."""
        return [s.scene_id for s in self.slices]


@dataclasses.dataclass(frozen=True)
class PassPair:
    """A pair of passes of one track."""

    reference: Pass
    secondary: Pass
    baseline_days: int

    @property
    def pair_id(self) -> str:
        """``{track}_{reference:%Y%m%d}_{secondary:%Y%m%d}``."""
        return f"{self.reference.track}_{self.reference.start_utc:%Y%m%d}_{self.secondary.start_utc:%Y%m%d}"


@dataclasses.dataclass
class PairingReport:
    """What the search found and why things were left out."""

    rejected: list[dict[str, str]] = dataclasses.field(default_factory=list)
    partial_passes: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    baselines_without_pairs: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    uncovered_aoi: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return dataclasses.asdict(self)


def track_of(record: SceneRecord) -> str:
    """Track name of a record, e.g. ``A088``."""
    return f"{'A' if record.direction == 'ascending' else 'D'}{record.relative_orbit:03d}"


def screen(
    records: Iterable[SceneRecord],
    *,
    tracks: Sequence[str],
    aoi: shapely.Geometry,
    period: tuple[dt.date, dt.date],
    polarisation: str,
    report: PairingReport,
) -> list[SceneRecord]:
    """Keep IW SLC records of the requested tracks, period and polarisation that touch the AOI."""
    wanted = set(tracks)
    kept = []
    seen: set[str] = set()
    for record in records:
        reason = None
        if record.scene_id in seen:
            reason = "duplicate record"
        elif record.processing_level.upper() != "SLC":
            reason = f"not an SLC product ({record.processing_level or 'unknown level'})"
        elif record.beam_mode.upper() != "IW":
            reason = f"beam mode {record.beam_mode or 'unknown'}, not IW"
        elif track_of(record) not in wanted:
            reason = f"track {track_of(record)} is not requested ({', '.join(sorted(wanted))})"
        elif polarisation.upper() not in record.polarization.upper().replace("+", " ").split():
            reason = f"polarisation {record.polarization or 'unknown'} lacks {polarisation}"
        elif not (period[0] <= record.start_utc.date() <= period[1]):
            reason = f"acquired {record.start_utc.date()}, outside {period[0]}..{period[1]}"
        elif not record.footprint.intersects(aoi):
            reason = "footprint does not intersect the AOI"
        if reason:
            report.rejected.append({"scene_id": record.scene_id, "reason": reason})
        else:
            kept.append(record)
        seen.add(record.scene_id)
    return kept


def group_passes(records: Iterable[SceneRecord]) -> list[Pass]:
    """Group the slices of each datatake (same platform and orbit, consecutive in time)."""
    by_orbit: dict[tuple[str, str, int], list[SceneRecord]] = defaultdict(list)
    for record in records:
        by_orbit[(track_of(record), record.platform, record.absolute_orbit)].append(record)
    passes = []
    for (track, _, _), slices in by_orbit.items():
        slices.sort(key=lambda r: r.start_utc)
        current = [slices[0]]
        for record in slices[1:]:
            if (record.start_utc - current[-1].stop_utc).total_seconds() <= SLICE_GAP_S:
                current.append(record)
            else:
                passes.append(Pass(track, tuple(current)))
                current = [record]
        passes.append(Pass(track, tuple(current)))
    return sorted(passes, key=lambda p: (p.track, p.start_utc))


def build_pairs(
    passes: Sequence[Pass],
    *,
    tracks: Sequence[str],
    aoi: shapely.Geometry,
    baselines_days: Sequence[int],
    tolerance_hours: float,
    report: PairingReport,
) -> list[PassPair]:
    """Every pair of AOI-covering passes of a track exactly ``baseline`` days apart (within hours)."""
    pairs = []
    for track in tracks:
        track_passes = [p for p in passes if p.track == track]
        covered = (
            shapely.union_all([p.footprint for p in track_passes]) if track_passes else shapely.Polygon()
        )
        missing = aoi.difference(covered)
        if missing.area > (1 - COVERAGE_TOLERANCE) * aoi.area:
            report.uncovered_aoi.append(
                {"track": track, "share": round(missing.area / aoi.area, 4), "wkt": missing.wkt}
            )
        full = []
        for candidate in track_passes:
            share = candidate.footprint.intersection(aoi).area / aoi.area
            if share >= COVERAGE_TOLERANCE:
                full.append(candidate)
            else:
                report.partial_passes.append(
                    {"track": track, "scenes": ";".join(candidate.scene_ids), "aoi_share": round(share, 4)}
                )
        for baseline in baselines_days:
            found = 0
            for i, reference in enumerate(full):
                for secondary in full[i + 1 :]:
                    gap_h = (secondary.start_utc - reference.start_utc).total_seconds() / 3600.0
                    if abs(gap_h - 24.0 * baseline) <= tolerance_hours:
                        pairs.append(PassPair(reference, secondary, baseline))
                        found += 1
            if not found:
                report.baselines_without_pairs.append(
                    {"track": track, "baseline_days": baseline, "covering_passes": len(full)}
                )
    return sorted(pairs, key=lambda p: (p.reference.track, p.baseline_days, p.reference.start_utc))


def pass_pair_table(pairs: Sequence[PassPair]) -> pd.DataFrame:
    """``results/pairs.csv`` for real acquisitions (columns: docs/method.md, "Pair table")."""
    rows = []
    for pair in pairs:
        track = Track.parse(pair.reference.track)
        rows.append(
            {
                "pair_id": pair.pair_id,
                "track": track.name,
                "direction": track.direction,
                "relative_orbit": track.relative_orbit,
                "reference_scene": ";".join(pair.reference.scene_ids),
                "secondary_scene": ";".join(pair.secondary.scene_ids),
                "reference_datetime": pair.reference.start_utc.isoformat(),
                "secondary_datetime": pair.secondary.start_utc.isoformat(),
                "baseline_days": pair.baseline_days,
                "frames": ";".join(str(s.frame) for s in pair.reference.slices),
                "reference_urls": ";".join(s.url for s in pair.reference.slices),
                "secondary_urls": ";".join(s.url for s in pair.secondary.slices),
                "reference_bytes": ";".join(str(s.size_bytes) for s in pair.reference.slices),
                "secondary_bytes": ";".join(str(s.size_bytes) for s in pair.secondary.slices),
                "reference_md5": ";".join(s.md5 for s in pair.reference.slices),
                "secondary_md5": ";".join(s.md5 for s in pair.secondary.slices),
            }
        )
    return pd.DataFrame(rows)


def pair_scenes(pairs: Sequence[PassPair]) -> dict[str, SceneRecord]:
    """Every scene a pair needs, by id."""
    return {s.scene_id: s for p in pairs for s in (*p.reference.slices, *p.secondary.slices)}


def period_of(config: StageSettings) -> tuple[dt.date, dt.date]:
    """The configured period as dates."""
    return dt.date.fromisoformat(config["period"]["start"]), dt.date.fromisoformat(config["period"]["end"])


def query_window(config: StageSettings, track: str, aoi: shapely.Geometry) -> dict[str, Any]:
    """asf-search options of one track's query over the AOI and period (scenes or bursts)."""
    parsed = Track.parse(track)
    start, end = period_of(config)
    return {
        "relativeOrbit": parsed.relative_orbit,
        "flightDirection": parsed.direction.upper(),
        "intersectsWith": aoi.wkt,
        "start": dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC),
        "end": dt.datetime.combine(end, dt.time.max, tzinfo=dt.UTC),
        "maxResults": config["search"]["max_results"],
    }
