"""Scores of confirmed detections against the truth that persists.

A confirmed detection (:mod:`massmove.detect.support`) claims a pattern that shows in several
pairs, so each pair's detections are scored against the movements that are reference patterns
in that pair and in at least ``min_support`` pairs in all (pairs that share no acquisition,
when the rule counts only those). Every detection of the pair,
confirmed or not, is scored against the same persistent truth beside the confirmed ones, so
that confirming is neither rewarded nor punished for what one pair alone shows. Counts are
summed over pairs first, then turned into proportions; false alarms are per 100 km2 and pair.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from massmove.evaluate.metrics import match_objects
from massmove.evaluate.pair import geometries_in
from massmove.pairs import independent_pair_count
from massmove.scores import object_scores

#: the column that names one movement across the per-pair references of the synthetic truth
MOVEMENT_ID = "movement_id"
#: the sets of detections scored
SETS = ("every_detection", "confirmed")


def persistent_references(
    references: Mapping[str, gpd.GeoDataFrame],
    min_pairs: int,
    acquisitions: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Each pair's reference patterns that are reference patterns in at least ``min_pairs``
    pairs; with ``acquisitions`` (pair id -> its acquisitions), in at least ``min_pairs``
    pairs that share no acquisition. References without :data:`MOVEMENT_ID` (one inventory
    given for every pair) persist as they are."""
    if any(MOVEMENT_ID not in frame.columns for frame in references.values() if not frame.empty):
        return dict(references)
    shown_in: dict[Any, list[str]] = defaultdict(list)
    for pair_id, frame in references.items():
        for movement in set(frame.get(MOVEMENT_ID, [])):
            shown_in[movement].append(pair_id)
    persists = {
        movement: (len(pairs) if acquisitions is None else independent_pair_count(pairs, acquisitions))
        >= min_pairs
        for movement, pairs in shown_in.items()
    }
    return {
        pair: frame[frame[MOVEMENT_ID].map(persists)] if not frame.empty else frame
        for pair, frame in references.items()
    }


def counts(
    detections: gpd.GeoDataFrame, references: gpd.GeoDataFrame, *, iou_threshold: float
) -> dict[str, int]:
    """Detections, references and one-to-one matches at ``iou_threshold``."""
    found = geometries_in(detections, references.crs)
    matched = len(
        match_objects(found, geometries_in(references, references.crs), iou_threshold=iou_threshold)
    )
    return {"detections": len(detections), "references": len(references), "matched": matched}


def figures(pooled: Mapping[str, int], covered_km2: float) -> dict[str, Any]:
    """Counts first, then object precision, recall, F1 and false alarms per 100 km2 (and pair,
    when ``covered_km2`` sums the ground each pair covers)."""
    false_alarms = pooled["detections"] - pooled["matched"]
    return {
        **pooled,
        **object_scores(pooled["detections"], pooled["references"], pooled["matched"]),
        "false_alarms_per_100km2": false_alarms / covered_km2 * 100.0 if covered_km2 > 0 else None,
    }


def support_evaluation(
    pair_detections: gpd.GeoDataFrame,
    references: Mapping[str, gpd.GeoDataFrame],
    covered_km2: Mapping[str, float],
    *,
    min_support: int,
    iou_threshold: float,
    acquisitions: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, Any]:
    """Every pair's detections and its confirmed ones (``confirmed``) against the persistent
    truth, per pair and pooled over pairs (``covered_km2``: the ground each pair covers;
    ``acquisitions``: each pair's, when only pairs that share none count)."""
    persistent = persistent_references(references, min_support, acquisitions)
    per_pair: dict[str, Any] = {}
    totals: dict[str, Counter[str]] = {name: Counter() for name in SETS}
    for pair_id, reference in persistent.items():
        mine = (
            pair_detections[pair_detections["pair_id"] == pair_id]
            if len(pair_detections)
            else pair_detections
        )
        sets = {
            "every_detection": mine,
            "confirmed": mine[mine["confirmed"].astype(bool)] if len(mine) else mine,
        }
        per_pair[pair_id] = {}
        for name, frame in sets.items():
            found = counts(frame, reference, iou_threshold=iou_threshold)
            totals[name].update(found)
            per_pair[pair_id][name] = figures(found, covered_km2.get(pair_id, 0.0))
    covered = sum(covered_km2.get(pair_id, 0.0) for pair_id in persistent)
    pooled = {
        name: figures({k: totals[name][k] for k in ("detections", "references", "matched")}, covered)
        for name in SETS
    }
    return {
        "min_support": min_support,
        "independent_pairs": acquisitions is not None,
        "iou_threshold": iou_threshold,
        "pair_km2": covered,
        "persistent_references": pooled["every_detection"]["references"],
        **pooled,
        "pairs": per_pair,
    }
