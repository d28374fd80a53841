"""The interferograms of ``source: files``: one entry per pair, from the config's list and folder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from massmove.errors import ConfigError, InputError
from massmove.files.interferogram import UNKNOWN, UNKNOWN_TRACK, FileInterferogram
from massmove.pairs import TRACK_PATTERN
from massmove.settings import StageSettings


def parse_date(value: Any, where: str) -> dt.date:
    """A date from ISO text, ``YYYYMMDD`` or a date object; an error naming ``where``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text[:10] if "-" in text else text[:8], pattern).date()
        except ValueError:
            continue
    raise ConfigError(f"{where}: {value!r} is not a date (YYYY-MM-DD or YYYYMMDD)")


def resolve(path: str | Path, base_dir: str | Path) -> Path:
    """A user path: ``~`` expanded, relative paths against the run directory."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else Path(base_dir) / path


def listed_interferograms(
    entries: Sequence[Mapping[str, Any]], *, base_dir: str | Path = "."
) -> list[FileInterferogram]:
    """The interferograms of ``files.interferograms`` (phase, coherence, dates, track)."""
    found = []
    for index, entry in enumerate(entries):
        key = f"config key 'files.interferograms[{index}]'"
        phase = resolve(entry["phase"], base_dir)
        coherence = resolve(entry["coherence"], base_dir) if entry.get("coherence") else None
        for path in (phase, coherence):
            if path is not None and not path.is_file():
                raise InputError(f"{key}: file not found: {path}")
        track = entry.get("track")
        if track is not None and not TRACK_PATTERN.match(str(track)):
            raise ConfigError(f"{key}.track: {track!r} is not A### or D### (e.g. A088)")
        found.append(
            FileInterferogram(
                phase=phase,
                coherence=coherence,
                reference=parse_date(entry["reference"], f"{key}.reference"),
                secondary=parse_date(entry["secondary"], f"{key}.secondary"),
                track=track,
                layout="list",
                metadata={"engine": f"files ({entry.get('processor') or UNKNOWN} processor)"},
            )
        )
    return found


def selection_of(config: StageSettings) -> dict[str, Any]:
    """What picks the interferograms of a folder: the config's tracks, baselines and period."""
    return {key: config[key] for key in ("tracks", "baselines_days", "period")}


def _selected(item: FileInterferogram, selection: Mapping[str, Any], start: Any, end: Any) -> bool:
    return (
        item.baseline_days in selection["baselines_days"]
        and start <= item.reference
        and item.secondary <= end
        and (item.track is None or item.track in selection["tracks"])
    )


def refuse_unselected(listed: Sequence[FileInterferogram], selection: Mapping[str, Any]) -> None:
    """A listed interferogram is used as listed: one outside ``tracks``, ``baselines_days`` or
    ``period`` is a contradiction of the config, refused with one line (a folder's are filtered)."""
    if not selection:
        return
    start, end = (parse_date(selection["period"][k], f"config key 'period.{k}'") for k in ("start", "end"))
    for item in listed:
        if not _selected(item, selection, start, end):
            raise ConfigError(
                f"{item.phase}: listed in files.interferograms, but its track {item.track or UNKNOWN_TRACK}, "
                f"{item.baseline_days}-day baseline or dates {item.reference} to {item.secondary} are "
                "outside tracks, baselines_days or period; widen those keys or leave the file out"
            )


def select_scanned(
    scanned: Sequence[FileInterferogram], selection: Mapping[str, Any], folder: Path
) -> list[FileInterferogram]:
    """The interferograms of a folder the run's ``tracks``, ``baselines_days`` and ``period``
    ask for (a track the files do not give is not a reason to drop one); none left is an error
    saying what the folder holds."""
    if not selection:
        return list(scanned)
    start, end = (parse_date(selection["period"][k], f"config key 'period.{k}'") for k in ("start", "end"))
    kept = [item for item in scanned if _selected(item, selection, start, end)]
    if not kept:
        held = sorted({(item.track or UNKNOWN_TRACK, item.baseline_days) for item in scanned})
        dates = min(i.reference for i in scanned), max(i.secondary for i in scanned)
        raise ConfigError(
            f"{folder}: none of its {len(scanned)} interferograms matches tracks, baselines_days and "
            f"period (it holds track/baseline {held[:6]}, dates {dates[0]} to {dates[1]})"
        )
    return kept


def file_interferograms(
    files: Mapping[str, Any],
    *,
    base_dir: str | Path = ".",
    selection: Mapping[str, Any] | None = None,
) -> list[FileInterferogram]:
    """Every interferogram of ``source: files``, in pair-id order: those listed, and those of
    the folder that ``selection`` (``tracks``, ``baselines_days``, ``period`` of the config)
    asks for.

    Raises
    ------
    ConfigError
        Neither a list nor a folder, dates out of order, or two inputs of the same pair
        (both files named).
    InputError
        A listed file or the folder does not exist.
    """
    from massmove.files.layouts import scan_folder

    found = listed_interferograms(files["interferograms"], base_dir=base_dir)
    refuse_unselected(found, selection or {})
    if files["folder"] is not None:
        folder = resolve(files["folder"], base_dir)
        scanned = scan_folder(folder, files["layout"])
        found += select_scanned(scanned, selection or {}, folder)
    if not found:
        raise ConfigError(
            "config key 'files': source files needs files.interferograms or files.folder "
            "(with files.layout) holding at least one interferogram"
        )
    by_pair: dict[str, FileInterferogram] = {}
    for item in found:
        if item.secondary <= item.reference:
            raise ConfigError(
                f"{item.phase}: secondary date {item.secondary} is not after reference {item.reference}"
            )
        if item.pair_id in by_pair:
            other = by_pair[item.pair_id]
            raise ConfigError(
                f"{item.phase}: pair {item.pair_id} is given twice (also {other.phase}); keep one, "
                "or set the track of each"
            )
        by_pair[item.pair_id] = item
    return [by_pair[pair_id] for pair_id in sorted(by_pair)]
