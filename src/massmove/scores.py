"""Overlap scores shared by training, evaluation and the agreement study: one IoU, one rule for
empty inputs, pixel and object counts turned into precision, recall and F1."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def iou(intersection: float, union: float) -> float | None:
    """Intersection over union of two areas or pixel sets (any unit, the same for both).

    The one rule for empty inputs: when the union is empty there is nothing to compare and the
    IoU is ``None``; each caller says what that means for its score (a pixel score of a pair
    with nothing to find and nothing found is 1.0, an agreement of two empty sets is left out).

    Examples
    --------
    >>> iou(2.0, 4.0)
    0.5
    >>> iou(0.0, 0.0) is None
    True
    """
    if union <= 0:
        return None
    return float(intersection / union)


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
    overlap = iou(tp, tp + fp + fn)
    return {
        "iou": 1.0 if overlap is None else overlap,
        "precision": precision,
        "recall": recall,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0,
    }


def object_scores(n_detections: int, n_references: int, n_matched: int) -> dict[str, float]:
    """Object precision, recall and F1 from counts (1.0 where there was nothing to find or claim)."""
    precision = n_matched / n_detections if n_detections else 1.0
    recall = n_matched / n_references if n_references else 1.0
    f1 = 2 * n_matched / (n_detections + n_references) if n_detections + n_references else 1.0
    return {"precision": precision, "recall": recall, "f1": f1}
