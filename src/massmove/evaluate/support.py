"""Scores of the detected areas across pairs against the truth that persists.

A confirmed area (:mod:`massmove.detect.support`) claims a pattern that shows in several pairs,
so it is scored against the movements that are reference patterns in at least as many pairs
(``min_support``): their outlines merged over those pairs. Every detected area, confirmed or
not, is scored against the same persistent truth beside it, so that confirming is neither
rewarded nor punished for what one pair alone shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from massmove.evaluate.metrics import match_objects
from massmove.scores import object_scores

#: the column that names one movement across the per-pair references of the synthetic truth
MOVEMENT_ID = "movement_id"


def persistent_references(
    references: Mapping[str, gpd.GeoDataFrame], min_pairs: int, crs: Any
) -> gpd.GeoDataFrame:
    """The reference patterns of at least ``min_pairs`` pairs, one outline each (the union over
    the pairs that show it). References without :data:`MOVEMENT_ID` (one inventory given for
    every pair) persist as they are: each polygon is its own pattern, in every pair."""
    frames = [frame.to_crs(crs) for frame in references.values() if not frame.empty]
    if not frames:
        return gpd.GeoDataFrame(geometry=[], crs=crs)
    if any(MOVEMENT_ID not in frame.columns for frame in frames):
        first = frames[0]
        return gpd.GeoDataFrame(geometry=list(first.geometry), crs=crs)
    every = pd.concat([frame[[MOVEMENT_ID, "geometry"]] for frame in frames], ignore_index=True)
    outlines = []
    for _, rows in every.groupby(MOVEMENT_ID, sort=True):
        if len(rows) >= min_pairs:
            outlines.append(shapely.union_all(rows.geometry.to_numpy()))
    return gpd.GeoDataFrame(geometry=outlines, crs=crs)


def area_scores(
    areas: gpd.GeoDataFrame, references: gpd.GeoDataFrame, *, iou_threshold: float, covered_km2: float
) -> dict[str, Any]:
    """Counts first (detected areas, references, matched), then object precision, recall and
    F1 at ``iou_threshold``, and unmatched areas per 100 km2 of ``covered_km2``."""
    detections = list(areas.to_crs(references.crs).geometry) if len(areas) else []
    matched = len(match_objects(detections, list(references.geometry), iou_threshold=iou_threshold))
    false_alarms = len(detections) - matched
    return {
        "detections": len(detections),
        "references": len(references),
        "matched": matched,
        **object_scores(len(detections), len(references), matched),
        "false_alarms_per_100km2": false_alarms / covered_km2 * 100.0 if covered_km2 > 0 else None,
    }


def support_evaluation(
    areas: gpd.GeoDataFrame,
    references: Mapping[str, gpd.GeoDataFrame],
    *,
    min_support: int,
    iou_threshold: float,
    covered_km2: float,
) -> dict[str, Any]:
    """Every detected area and the confirmed ones (``confirmed``) against the persistent truth."""
    persistent = persistent_references(references, min_support, areas.crs)
    confirmed = areas[areas["confirmed"].astype(bool)] if len(areas) else areas
    return {
        "min_support": min_support,
        "covered_km2": covered_km2,
        "persistent_references": len(persistent),
        "every_area": area_scores(areas, persistent, iou_threshold=iou_threshold, covered_km2=covered_km2),
        "confirmed": area_scores(confirmed, persistent, iou_threshold=iou_threshold, covered_km2=covered_km2),
    }
