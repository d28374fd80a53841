"""Tracks, acquisitions and interferometric pairs (ids, dates, the pair table)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import networkx as nx
import pandas as pd

from massmove.errors import ConfigError, InputError
from massmove.io.atomic import atomic_path
from massmove.settings import StageSettings

TRACK_PATTERN = re.compile(r"^(?P<direction>[AD])(?P<orbit>\d{3})$")
#: the track of an interferogram whose inputs do not say it (source files; its pair id starts
#: with it)
UNKNOWN_TRACK = "X000"


class Track(NamedTuple):
    """A Sentinel-1 track: direction and relative orbit (``A088``, ``D066``)."""

    name: str
    direction: str
    relative_orbit: int

    @classmethod
    def parse(cls, name: str) -> Track:
        """Parse ``A###``/``D###``.

        Examples
        --------
        >>> Track.parse("D066")
        Track(name='D066', direction='descending', relative_orbit=66)
        """
        match = TRACK_PATTERN.match(name)
        if not match:
            raise ConfigError(f"track {name!r}: expected A### or D### (e.g. A088, D066)")
        direction = "ascending" if match["direction"] == "A" else "descending"
        return cls(name, direction, int(match["orbit"]))


class Acquisition(NamedTuple):
    """One SLC acquisition of a track."""

    track: str
    start_utc: dt.datetime
    scene_id: str

    @property
    def date(self) -> dt.date:
        """Acquisition date (UTC)."""
        return self.start_utc.date()


class Pair(NamedTuple):
    """An interferometric pair; its id is ``{track}_{reference:%Y%m%d}_{secondary:%Y%m%d}``."""

    reference: Acquisition
    secondary: Acquisition

    @property
    def track(self) -> str:
        """Track name."""
        return self.reference.track

    @property
    def pair_id(self) -> str:
        """Pair id, e.g. ``A088_20180801_20180813``."""
        return f"{self.track}_{self.reference.date:%Y%m%d}_{self.secondary.date:%Y%m%d}"

    @property
    def baseline_days(self) -> int:
        """Temporal baseline in whole days."""
        return (self.secondary.date - self.reference.date).days


def synthetic_scene_id(track: str, start_utc: dt.datetime) -> str:
    """Scene id of a synthetic acquisition, e.g. ``SYN_A088_20180801T172430``."""
    return f"SYN_{track}_{start_utc:%Y%m%dT%H%M%S}"


def track_geometry_settings(synthetic: Mapping[str, Any], track: str) -> dict[str, Any]:
    """Heading, incidence and pass time of a synthetic track (defaults by direction)."""
    configured = synthetic["geometry"]
    if track in configured:
        return dict(configured[track])
    if Track.parse(track).direction == "ascending":
        return {"heading_deg": 347.6, "incidence_deg": 41.0, "time_utc": "17:24:30"}
    return {"heading_deg": 192.4, "incidence_deg": 35.5, "time_utc": "05:33:50"}


def synthetic_dates(config: StageSettings) -> list[tuple[int, int]]:
    """Day offsets (reference, secondary) from period.start of the synthetic pairs of a track."""
    synthetic = config["synthetic"]
    offsets = []
    for baseline in sorted(config["baselines_days"]):
        for k in range(synthetic["pairs_per_baseline"]):
            start = k * synthetic["revisit_days"]
            offsets.append((start, start + baseline))
    return offsets


def synthetic_acquisitions(config: StageSettings, track: str) -> list[Acquisition]:
    """Acquisitions of one synthetic track, in time order."""
    start = dt.date.fromisoformat(config["period"]["start"])
    end = dt.date.fromisoformat(config["period"]["end"])
    time_utc = dt.time.fromisoformat(track_geometry_settings(config["synthetic"], track)["time_utc"])
    days = sorted({day for pair in synthetic_dates(config) for day in pair})
    acquisitions = []
    for day in days:
        date = start + dt.timedelta(days=day)
        if date > end:
            raise ConfigError(
                f"config key 'period.end': synthetic acquisition on {date} falls after {end}; "
                "extend the period or reduce baselines_days/pairs_per_baseline"
            )
        when = dt.datetime.combine(date, time_utc, tzinfo=dt.UTC)
        acquisitions.append(Acquisition(track, when, synthetic_scene_id(track, when)))
    return acquisitions


def synthetic_pairs(config: StageSettings) -> list[Pair]:
    """Every pair the config implies (tracks x baselines x pairs per baseline)."""
    start = dt.date.fromisoformat(config["period"]["start"])
    pairs = []
    for track in config["tracks"]:
        by_day = {(a.date - start).days: a for a in synthetic_acquisitions(config, track)}
        for ref_day, sec_day in synthetic_dates(config):
            pairs.append(Pair(by_day[ref_day], by_day[sec_day]))
    return pairs


def pair_record(pair: Pair) -> dict[str, Any]:
    """One row of the pair table, ``results/pairs.csv`` (docs/method.md, "Pair table")."""
    track = Track.parse(pair.track)
    return {
        "pair_id": pair.pair_id,
        "track": track.name,
        "direction": track.direction,
        "relative_orbit": track.relative_orbit,
        "reference_scene": pair.reference.scene_id,
        "secondary_scene": pair.secondary.scene_id,
        "reference_datetime": pair.reference.start_utc.isoformat(),
        "secondary_datetime": pair.secondary.start_utc.isoformat(),
        "baseline_days": pair.baseline_days,
    }


def pair_table(pairs: Sequence[Pair]) -> pd.DataFrame:
    """The pair table, one row per pair (:func:`pair_record`)."""
    return pd.DataFrame([pair_record(pair) for pair in pairs])


def write_pair_table(pairs: Sequence[Pair], path: str | Path) -> None:
    """Write the pair table as CSV, atomically."""
    with atomic_path(path) as tmp:
        pair_table(pairs).to_csv(tmp, index=False)


#: the columns of the pair table that hold the ``;``-joined scene ids of each pass
SCENE_COLUMNS = {"reference": "reference_scene", "secondary": "secondary_scene"}


def find_pair(config: StageSettings, pair_id: str) -> Pair:
    """The synthetic pair of the config with this id."""
    for pair in synthetic_pairs(config):
        if pair.pair_id == pair_id:
            return pair
    raise ConfigError(f"pair {pair_id} is not implied by the config (tracks x baselines_days x dates)")


def read_pair_table(path: str | Path) -> pd.DataFrame:
    """The pair table ``results/pairs.csv`` as written by :func:`write_pair_table` or a search."""
    return pd.read_csv(path)


def pair_row(path: str | Path, pair_id: str) -> dict[str, Any]:
    """The row of the pair table of this pair."""
    table = read_pair_table(path)
    rows = table[table["pair_id"] == pair_id]
    if rows.empty:
        raise InputError(f"{path}: no pair {pair_id}")
    return rows.iloc[0].to_dict()


def pass_scene_ids(row: Mapping[str, Any], role: str) -> list[str]:
    """The scene ids of one pass (``reference`` or ``secondary``) of a pair-table row: one per
    slice, as the table joins them with ``;``.

    Examples
    --------
    >>> pass_scene_ids({"reference_scene": "S1A_a;S1A_b", "secondary_scene": "S1A_c"}, "reference")
    ['S1A_a', 'S1A_b']
    """
    return str(row[SCENE_COLUMNS[role]]).split(";")


def table_scene_ids(table: pd.DataFrame) -> list[str]:
    """Every scene id the pairs of a pair table need, sorted."""
    return sorted(
        {s for row in table.to_dict("records") for role in SCENE_COLUMNS for s in pass_scene_ids(row, role)}
    )


def pair_tags(config: StageSettings, record: Mapping[str, Any]) -> dict[str, Any]:
    """Product tags of a pair from its pair-table row (:func:`pair_record`, ``results/pairs.csv``
    or a given interferogram's ``record``, whose relative orbit may be ``unknown``), with the
    digest of the stage's settings."""
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


def acquisitions_of_tags(tags: Mapping[str, Any]) -> frozenset[str]:
    """The two acquisitions of a product or likelihood raster from its ``track``,
    ``reference`` and ``secondary`` tags, as ``{track}@{date}`` (one pass of a track a day; the
    UTC date of the sensing start); empty when a tag is missing or the track is unknown
    (:data:`UNKNOWN_TRACK`), so that the pair counts as sharing nothing.

    Examples
    --------
    >>> sorted(acquisitions_of_tags({"track": "A088", "reference": "2018-08-01T17:24:30+00:00",
    ...                              "secondary": "2018-08-13T17:24:30+00:00"}))
    ['A088@2018-08-01', 'A088@2018-08-13']
    >>> acquisitions_of_tags({"track": "A088"}), acquisitions_of_tags(
    ...     {"track": UNKNOWN_TRACK, "reference": "2018-08-01", "secondary": "2018-08-13"})
    (frozenset(), frozenset())
    """
    try:
        track, dates = str(tags["track"]), (str(tags["reference"])[:10], str(tags["secondary"])[:10])
    except KeyError:
        return frozenset()
    if track == UNKNOWN_TRACK:  # interferograms given without a track: their passes are unknown
        return frozenset()
    return frozenset(f"{track}@{date}" for date in dates if date)


def independent_pair_count(pair_ids: Sequence[str], acquisitions: Mapping[str, frozenset[str]]) -> int:
    """The largest number of ``pair_ids`` no two of which share an acquisition (a maximum
    matching of the graph whose nodes are acquisitions and whose edges are pairs). A pair
    without known acquisitions shares none.

    Examples
    --------
    >>> acq = {"a12": frozenset({"A@1", "A@13"}), "a18": frozenset({"A@1", "A@19"}),
    ...        "d12": frozenset({"D@1", "D@13"}), "a6": frozenset({"A@13", "A@19"})}
    >>> independent_pair_count(["a12", "a18"], acq), independent_pair_count(["a12", "a18", "d12"], acq)
    (1, 2)
    >>> independent_pair_count(["a12", "a18", "a6"], acq)
    1
    """
    graph = nx.Graph()
    for pair_id in dict.fromkeys(pair_ids):
        ends = sorted(acquisitions.get(pair_id, frozenset()))
        if len(ends) != 2:
            ends = [f"{pair_id}#reference", f"{pair_id}#secondary"]
        graph.add_edge(*ends)
    return len(nx.max_weight_matching(graph, maxcardinality=True))


PAIR_ID_PATTERN = re.compile(
    rf"^(?P<track>[AD]\d{{3}}|{re.escape(UNKNOWN_TRACK)})_(?P<reference>\d{{8}})_(?P<secondary>\d{{8}})$"
)


def sibling_pair_id(pair_id: str, pair_ids: Sequence[str]) -> str:
    """The same-track sibling of a pair among ``pair_ids``: the other pair of its track that
    shares its reference acquisition, the one whose secondary is nearest in time (the
    default's 12-day pair for the 18-day one and back). Its phase holds the same reference
    atmosphere and speckle; a moving slope's phase scales with the time span.

    Examples
    --------
    >>> ids = ["A088_20180801_20180813", "A088_20180801_20180819", "D066_20180801_20180813"]
    >>> sibling_pair_id("A088_20180801_20180819", ids)
    'A088_20180801_20180813'
    >>> sibling_pair_id("D066_20180801_20180813", ids)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    massmove.errors.InputError: pair D066_20180801_20180813: no other pair of track D066 shares ...
    """
    match = PAIR_ID_PATTERN.match(pair_id)
    if not match:
        raise InputError(f"pair {pair_id}: expected an id TRACK_YYYYMMDD_YYYYMMDD to find its sibling")
    secondary = dt.datetime.strptime(match["secondary"], "%Y%m%d")
    candidates = []
    for other in pair_ids:
        found = PAIR_ID_PATTERN.match(other)
        if other == pair_id or not found:
            continue
        if (found["track"], found["reference"]) == (match["track"], match["reference"]):
            days = abs((dt.datetime.strptime(found["secondary"], "%Y%m%d") - secondary).days)
            candidates.append((days, other))
    if not candidates:
        raise InputError(
            f"pair {pair_id}: no other pair of track {match['track']} shares its reference acquisition "
            "(a sibling_* input channel needs one)"
        )
    return min(candidates)[1]


def sibling_product(product: str | Path) -> Path:
    """The sibling's product (:func:`sibling_pair_id`) in the same directory as ``product``
    (files named by pair id, ``{pair_id}.tif``)."""
    path = Path(product)
    others = [p.stem for p in path.parent.glob(f"*{path.suffix}")]
    return path.with_name(sibling_pair_id(path.stem, others) + path.suffix)
