"""Overlap scores shared by training, evaluation and the agreement study: one IoU, one rule for
empty inputs, pixel and object counts turned into precision, recall and F1.

The rule for empty inputs: a proportion whose denominator is zero is undefined (``None``, and
``null`` in the JSON records), never perfect. Precision is undefined without detections,
recall without anything to find, IoU and F1 with neither. Pooled scores are the same functions
applied to summed counts, so they are undefined only when the pooled counts are empty.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: what an undefined score means, by metric (how reports and logs show ``None``)
UNDEFINED = {"precision": "no detections", "recall": "nothing to find", "f1": "undefined", "iou": "undefined"}


def proportion(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``; ``None`` when the denominator is zero (undefined).

    Examples
    --------
    >>> proportion(1, 4)
    0.25
    >>> proportion(0, 0) is None
    True
    """
    if denominator <= 0:
        return None
    return float(numerator / denominator)


def iou(intersection: float, union: float) -> float | None:
    """Intersection over union of two areas or pixel sets (any unit, the same for both).

    When the union is empty there is nothing to compare and the IoU is ``None``; each caller
    says what that means for its score (a pixel IoU of a pair with nothing to find and nothing
    found is undefined, an agreement of two empty sets is left out).

    Examples
    --------
    >>> iou(2.0, 4.0)
    0.5
    >>> iou(0.0, 0.0) is None
    True
    """
    return proportion(intersection, union)


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


def pixel_scores(counts: dict[str, int]) -> dict[str, float | None]:
    """IoU, precision, recall and F1 from pixel counts.

    Parameters
    ----------
    counts
        ``tp``, ``fp`` and ``fn`` pixel counts (of one pair, or summed over pairs).

    Returns
    -------
    dict
        ``iou``, ``precision``, ``recall`` and ``f1``. Precision is ``None`` when no pixel was
        detected (tp + fp = 0), recall when no pixel was to be found (tp + fn = 0), IoU and F1
        when neither (tp + fp + fn = 0).

    Examples
    --------
    >>> pixel_scores({"tp": 2, "fp": 1, "fn": 1})["iou"]
    0.5
    >>> pixel_scores({"tp": 0, "fp": 0, "fn": 3})
    {'iou': 0.0, 'precision': None, 'recall': 0.0, 'f1': 0.0}
    >>> pixel_scores({"tp": 0, "fp": 0, "fn": 0})
    {'iou': None, 'precision': None, 'recall': None, 'f1': None}
    """
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    return {
        "iou": iou(tp, tp + fp + fn),
        "precision": proportion(tp, tp + fp),
        "recall": proportion(tp, tp + fn),
        "f1": proportion(2 * tp, 2 * tp + fp + fn),
    }


def object_scores(n_detections: int, n_references: int, n_matched: int) -> dict[str, float | None]:
    """Object precision, recall and F1 from counts.

    Parameters
    ----------
    n_detections, n_references
        Detected and reference objects (of one pair, or summed over pairs).
    n_matched
        One-to-one matches between them.

    Returns
    -------
    dict
        ``precision`` (matched / detections; ``None`` without detections), ``recall``
        (matched / references; ``None`` without references) and ``f1``
        (2 matched / (detections + references); ``None`` only with neither).

    Examples
    --------
    >>> object_scores(4, 2, 1)
    {'precision': 0.25, 'recall': 0.5, 'f1': 0.3333333333333333}
    >>> object_scores(0, 2, 0)
    {'precision': None, 'recall': 0.0, 'f1': 0.0}
    >>> object_scores(3, 0, 0)
    {'precision': 0.0, 'recall': None, 'f1': 0.0}
    >>> object_scores(0, 0, 0)
    {'precision': None, 'recall': None, 'f1': None}
    """
    return {
        "precision": proportion(n_matched, n_detections),
        "recall": proportion(n_matched, n_references),
        "f1": proportion(2 * n_matched, n_detections + n_references),
    }


def format_score(value: float | None, metric: str = "", *, digits: int = 3) -> str:
    """A score as text: ``digits`` decimals, or what its being undefined means for ``metric``
    (``precision``, ``recall``, ``f1``, ``iou``; see :data:`UNDEFINED`).

    Examples
    --------
    >>> format_score(0.51234)
    '0.512'
    >>> format_score(None, "precision"), format_score(None, "recall"), format_score(None, "iou")
    ('no detections', 'nothing to find', 'undefined')
    """
    if value is None:
        return UNDEFINED.get(metric, "undefined")
    return f"{value:.{digits}f}"
