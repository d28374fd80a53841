"""Pixel and object scores of detections against reference polygons."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray


def pixel_counts(detected: NDArray, reference: NDArray, valid: NDArray | None = None) -> dict[str, int]:
    """True positive, false positive and false negative pixel counts (over ``valid`` pixels)."""
    detected = np.asarray(detected, dtype=bool)
    reference = np.asarray(reference, dtype=bool)
    if valid is not None:
        detected = detected & valid
        reference = reference & valid
    return {
        "tp": int((detected & reference).sum()),
        "fp": int((detected & ~reference).sum()),
        "fn": int((~detected & reference).sum()),
    }


def pixel_scores(counts: dict[str, int]) -> dict[str, float]:
    """IoU, precision, recall and F1 from pixel counts (1.0 where nothing was to be found
    and nothing was found).

    Examples
    --------
    >>> pixel_scores({"tp": 2, "fp": 1, "fn": 1})["iou"]
    0.5
    """
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "iou": tp / (tp + fp + fn) if tp + fp + fn else 1.0,
        "precision": precision,
        "recall": recall,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0,
    }


def match_objects(
    detections: Sequence[shapely.Geometry], references: Sequence[shapely.Geometry], *, iou_threshold: float
) -> list[tuple[int, int, float]]:
    """One-to-one matches (detection index, reference index, IoU) with IoU >= threshold,
    taken greedily from the highest IoU down."""
    candidates = []
    if len(detections) and len(references):
        tree = shapely.STRtree(list(references))
        left, right = tree.query(list(detections), predicate="intersects")
        for d, r in zip(left.tolist(), right.tolist(), strict=True):
            inter = shapely.area(shapely.intersection(detections[d], references[r]))
            union = shapely.area(shapely.union(detections[d], references[r]))
            iou = inter / union if union else 0.0
            if iou >= iou_threshold:
                candidates.append((iou, d, r))
    used_d, used_r, matches = set(), set(), []
    for iou, d, r in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if d not in used_d and r not in used_r:
            used_d.add(d)
            used_r.add(r)
            matches.append((d, r, float(iou)))
    return matches


def object_scores(n_detections: int, n_references: int, n_matched: int) -> dict[str, float]:
    """Object precision, recall and F1 from counts (1.0 where there was nothing to find or claim)."""
    precision = n_matched / n_detections if n_detections else 1.0
    recall = n_matched / n_references if n_references else 1.0
    f1 = 2 * n_matched / (n_detections + n_references) if n_detections + n_references else 1.0
    return {"precision": precision, "recall": recall, "f1": f1}
