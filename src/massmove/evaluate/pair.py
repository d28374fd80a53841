"""Evaluation of one pair's detections and likelihood against reference polygons, and the
pooled figures of a run (the metrics of the study: pixel IoU, object scores at an IoU
threshold, pixel recall and object recall at coverage thresholds, Hausdorff distances)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from massmove.evaluate.metrics import coverage_recall, match_objects, polygon_pixel_shares
from massmove.grid import Grid
from massmove.io.labels import rasterise_labels
from massmove.scores import object_scores, pixel_counts, pixel_scores, proportion


def evaluate_pair(
    detections: gpd.GeoDataFrame,
    references: gpd.GeoDataFrame,
    likelihood_mean: NDArray,
    grid: Grid,
    *,
    iou_threshold: float,
    likelihood_threshold: float,
    coverages: Sequence[float],
    lenient: gpd.GeoDataFrame | None = None,
) -> dict[str, Any]:
    """Scores of one pair (counts and proportions).

    A proportion whose denominator is empty is ``None`` (``null`` in the JSON record), never
    1.0: precision without detections, recall without references, IoU and F1 with neither
    (see :mod:`massmove.scores`).

    Parameters
    ----------
    detections, references
        Polygons (any CRS; taken to the grid's CRS). References are clipped to the grid.
    likelihood_mean
        Ensemble mean likelihood on ``grid`` (NaN = nodata, outside every score).
    iou_threshold
        Object IoU from which a detection matches a reference (one to one, greedy by IoU).
    likelihood_threshold
        Likelihood from which a pixel counts as found (pixel recall and coverage recall).
    coverages
        Shares of a reference polygon's pixels that must be found for it to count as found.
    lenient
        Patterns that show but fall short of the reference class (class ``faint`` of the
        synthetic truth). A detection that matches no reference but lies on one of them
        (:func:`on_lenient`) is neither a hit nor a false alarm in the lenient object score
        beside the strict one; the strict score counts it as a false alarm.
    """
    detected = geometries_in(detections, grid.crs)
    reference = references_on(references, grid)
    valid = np.isfinite(likelihood_mean)
    detected_px = rasterise_labels(gpd.GeoDataFrame(geometry=detected, crs=grid.crs), grid).astype(bool)
    reference_px = rasterise_labels(gpd.GeoDataFrame(geometry=reference, crs=grid.crs), grid).astype(bool)
    pixel = pixel_counts(detected_px, reference_px, valid)
    found = valid & (np.nan_to_num(likelihood_mean, nan=0.0) >= likelihood_threshold)
    likelihood_pixel = pixel_counts(found, reference_px, valid)
    matches = match_objects(detected, reference, iou_threshold=iou_threshold)
    hausdorff = [shapely.hausdorff_distance(detected[d], reference[r]) for d, r, _ in matches]
    shares = polygon_pixel_shares(reference, found, grid.transform)
    matched_detections = {d for d, _, _ in matches}
    unmatched = [g for index, g in enumerate(detected) if index not in matched_detections]
    lenient_polygons = [] if lenient is None else geometries_in(lenient, grid.crs)
    on_faint = sum(on_lenient(g, lenient_polygons) for g in unmatched)
    return {
        "likelihood_threshold": likelihood_threshold,
        "n_detections": len(detected),
        "n_references": len(reference),
        "reference_areas_m2": [float(g.area) for g in reference],
        "pixel": {**pixel, **pixel_scores(pixel)},
        "object": {
            "matched": len(matches),
            **object_scores(len(detected), len(reference), len(matches)),
            "matches": [
                {"detection": d, "reference": r, "iou": iou, "hausdorff_m": float(h)}
                for (d, r, iou), h in zip(matches, hausdorff, strict=True)
            ],
        },
        "object_lenient": {
            "n_lenient_references": len(lenient_polygons),
            "on_lenient": int(on_faint),
            **object_scores(len(detected) - on_faint, len(reference), len(matches)),
        },
        "likelihood_pixel_recall": {
            "tp": likelihood_pixel["tp"],
            "fn": likelihood_pixel["fn"],
            "recall": pixel_scores(likelihood_pixel)["recall"],
        },
        "object_recall_at_coverage": coverage_recall(shares, coverages),
        "reference_pixel_shares_found": [None if np.isnan(s) else float(s) for s in shares],
    }


def on_lenient(detection: shapely.Geometry, lenient: Sequence[shapely.Geometry]) -> bool:
    """True when a detection lies on one of the lenient (faint) patterns: their overlap covers
    at least half of the smaller of the two."""
    for pattern in lenient:
        if not detection.intersects(pattern):
            continue
        overlap = shapely.area(shapely.intersection(detection, pattern))
        if overlap >= 0.5 * min(detection.area, pattern.area):
            return True
    return False


def pool_evaluations(
    per_pair: Mapping[str, Mapping[str, Any]], *, iou_threshold: float, likelihood_threshold: float | None
) -> dict[str, Any]:
    """Pooled figures over pairs (sums of counts, then proportions), with the per-pair ones.

    The top level holds ``pixel_iou``, ``object_precision``, ``object_recall`` and
    ``object_f1`` of all pairs together (the names kept for outside use). Proportions come
    from the summed counts with the per-pair functions, so a pair without detections adds its
    references to the recall's denominator and nothing to the precision's; a pooled figure is
    ``None`` only when the pooled counts leave it undefined (e.g. no detection in any pair).

    Examples
    --------
    >>> def pair(detections, references, matched):
    ...     return {"n_detections": detections, "n_references": references,
    ...             "object": {"matched": matched, "matches": []},
    ...             "pixel": {"tp": 0, "fp": 0, "fn": 0},
    ...             "likelihood_pixel_recall": {"tp": 0, "fn": 0}, "object_recall_at_coverage": {}}
    >>> pooled = pool_evaluations({"a": pair(2, 2, 1), "b": pair(0, 3, 0)},
    ...                           iou_threshold=0.4, likelihood_threshold=0.5)
    >>> pooled["object_precision"], pooled["object_recall"], pooled["pixel_iou"]
    (0.5, 0.2, None)
    """
    pixel = {key: sum(p["pixel"][key] for p in per_pair.values()) for key in ("tp", "fp", "fn")}
    n_detections = sum(p["n_detections"] for p in per_pair.values())
    n_references = sum(p["n_references"] for p in per_pair.values())
    matched = sum(p["object"]["matched"] for p in per_pair.values())
    objects = object_scores(n_detections, n_references, matched)
    on_faint = sum(p.get("object_lenient", {}).get("on_lenient", 0) for p in per_pair.values())
    n_lenient = sum(p.get("object_lenient", {}).get("n_lenient_references", 0) for p in per_pair.values())
    pixel_found = {
        "tp": sum(p["likelihood_pixel_recall"]["tp"] for p in per_pair.values()),
        "fn": sum(p["likelihood_pixel_recall"]["fn"] for p in per_pair.values()),
    }
    coverages = sorted({c for p in per_pair.values() for c in p["object_recall_at_coverage"]}, key=float)
    coverage = {}
    for key in coverages:
        found = sum(p["object_recall_at_coverage"][key]["found"] for p in per_pair.values())
        coverage[key] = {
            "found": found,
            "total": n_references,
            "recall": proportion(found, n_references),
        }
    distances = [m["hausdorff_m"] for p in per_pair.values() for m in p["object"]["matches"]]
    scores = pixel_scores(pixel)
    return {
        "pixel_iou": scores["iou"],
        "pixel_precision": scores["precision"],
        "pixel_recall": scores["recall"],
        "pixel_f1": scores["f1"],
        "object_precision": objects["precision"],
        "object_recall": objects["recall"],
        "object_f1": objects["f1"],
        "object_lenient": {
            "n_lenient_references": n_lenient,
            "on_lenient": on_faint,
            **object_scores(n_detections - on_faint, n_references, matched),
        },
        "iou_threshold": iou_threshold,
        "likelihood_threshold": likelihood_threshold,
        "likelihood_pixel_recall": pixel_scores({**pixel_found, "fp": 0})["recall"],
        "object_recall_at_coverage": coverage,
        "hausdorff_m": {
            "n": len(distances),
            "mean": float(np.mean(distances)) if distances else None,
            "median": float(np.median(distances)) if distances else None,
            "max": float(np.max(distances)) if distances else None,
        },
        "counts": {
            "pairs": len(per_pair),
            "detections": n_detections,
            "references": n_references,
            "matched": matched,
            "pixel": pixel,
            "likelihood_pixel": pixel_found,
        },
        "pairs": dict(sorted(per_pair.items())),
    }


def references_on(references: gpd.GeoDataFrame, grid: Grid) -> list[shapely.Geometry]:
    """Reference polygons as every score counts them: in the grid's CRS, clipped to its
    extent, the empty ones (outside it) left out."""
    extent = shapely.box(*grid.bounds)
    clipped = (shapely.intersection(g, extent) for g in geometries_in(references, grid.crs))
    return [g for g in clipped if not g.is_empty and g.area > 0]


def geometries_in(frame: gpd.GeoDataFrame, crs: Any) -> list[shapely.Geometry]:
    """The polygons of a frame in ``crs`` (a frame without a CRS taken as in it), empty and
    missing geometries left out."""
    if frame.empty:
        return []
    if frame.crs is not None:
        frame = frame.to_crs(crs)
    return [g for g in frame.geometry if g is not None and not g.is_empty]
