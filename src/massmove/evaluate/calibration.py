"""Detection threshold and smallest polygon, calibrated on likelihoods made as a run makes them.

The calibrate rule has the trained members, loaded together as the ensemble a run deploys,
segment whole calibration products (ground none of them trained on) with the inference's
overlapping, blended windows. Each mean likelihood is vectorised at every candidate threshold
and smallest area (``train.calibration``) and scored against the products' truth like a run's
detections (object matching at ``evaluation.iou_threshold``, counts pooled over the products).
The pair with the highest object F1 is used when it rests on at least
``train.calibration.min_matched`` matched patterns; below that the fallback
(``train.calibration.fallback``) is kept. The choice is written into every member's
``massmove.json`` (``detection``), never made on a detection or test scene.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from rasterio import features

from massmove.detect.vectorise import detection_polygons
from massmove.evaluate.metrics import match_objects
from massmove.grid import Grid
from massmove.io.detection import CALIBRATED, FALLBACK
from massmove.scores import object_scores

log = logging.getLogger(__name__)

#: what names a candidate of the table, and the counts each row pools
CANDIDATE = ("threshold", "min_area_m2")
COUNTS = ("detections", "references", "matched")


def covered_polygon(mosaic: NDArray[np.float32], grid: Grid) -> shapely.Geometry:
    """The ground a likelihood covers (its finite pixels)."""
    covered = np.isfinite(mosaic)
    shapes = features.shapes(covered.astype(np.uint8), mask=covered, transform=grid.transform)
    return shapely.union_all([shapely.geometry.shape(geometry) for geometry, _ in shapes])


def calibration_table(
    likelihoods: Mapping[str, tuple[NDArray[np.float32], Grid]],
    references: Mapping[str, Sequence[shapely.Geometry]],
    *,
    thresholds: Sequence[float],
    min_areas_m2: Sequence[float],
    iou_threshold: float,
) -> list[dict[str, Any]]:
    """Pooled detections, references, matches and object scores for every candidate pair.

    ``likelihoods`` maps each calibration product to its ensemble mean likelihood (NaN where
    the product has no data) and grid; ``references`` maps it to its truth polygons in the
    grid's CRS (clipped to the covered ground)."""
    counts = {(t, a): [0, 0, 0] for t in thresholds for a in min_areas_m2}
    for product, (likelihood, grid) in likelihoods.items():
        coverage = covered_polygon(likelihood, grid)
        clipped = (shapely.intersection(g, coverage) for g in references.get(product, []))
        refs = [g for g in clipped if not g.is_empty and g.area > 0]
        for threshold in thresholds:
            frame = detection_polygons(
                likelihood, np.zeros_like(likelihood), grid, {}, threshold=threshold, min_area_m2=0.0
            )
            for min_area in min_areas_m2:
                kept = list(frame.geometry[frame["area_m2"] >= min_area])
                matched = len(match_objects(kept, refs, iou_threshold=iou_threshold))
                total = counts[(threshold, min_area)]
                total[0] += len(kept)
                total[1] += len(refs)
                total[2] += matched
    return _rows(counts)


def _rows(counts: Mapping[tuple[float, float], Sequence[int]]) -> list[dict[str, Any]]:
    return [
        {
            "threshold": threshold,
            "min_area_m2": min_area,
            "detections": d,
            "references": r,
            "matched": m,
            **object_scores(d, r, m),
        }
        for (threshold, min_area), (d, r, m) in counts.items()
    ]


def pool_tables(tables: Sequence[Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Tables of :func:`calibration_table` (e.g. one per product, so that no two likelihood
    rasters are held at once) pooled: counts summed per candidate, then proportions.

    Examples
    --------
    >>> a = [{"threshold": 0.5, "min_area_m2": 0.0, "detections": 2, "references": 3, "matched": 1}]
    >>> b = [{"threshold": 0.5, "min_area_m2": 0.0, "detections": 0, "references": 1, "matched": 0}]
    >>> pool_tables([a, b])[0]["recall"]
    0.25
    """
    counts: dict[tuple[float, float], list[int]] = {}
    for table in tables:
        for row in table:
            total = counts.setdefault((row["threshold"], row["min_area_m2"]), [0, 0, 0])
            for index, key in enumerate(COUNTS):
                total[index] += int(row[key])
    return _rows(counts)


def best_setting(table: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The row of the highest object F1; ties go to the higher threshold, then the larger area
    (the more conservative setting).

    Examples
    --------
    >>> rows = [{"f1": 0.5, "threshold": t, "min_area_m2": 0} for t in (0.5, 0.6)]
    >>> best_setting(rows)["threshold"]
    0.6
    """

    def key(row: Mapping[str, Any]) -> tuple[float, float, float]:
        # an undefined F1 (nothing detected and nothing to find) ranks below every defined one
        f1 = -1.0 if row["f1"] is None else round(row["f1"], 12)
        return (f1, row["threshold"], row["min_area_m2"])

    return max(table, key=key)


def choose_detection(
    table: Sequence[Mapping[str, Any]],
    *,
    min_matched: int,
    fallback: Mapping[str, float],
    products: int,
    iou_threshold: float,
) -> dict[str, Any]:
    """The ``detection`` block of the members: the best candidate of ``table`` when it rests on
    at least ``min_matched`` matched patterns, else ``fallback`` (with the reason).

    Examples
    --------
    >>> row = {"threshold": 0.7, "min_area_m2": 0.0, "detections": 40, "references": 36,
    ...        "matched": 3, "precision": 0.075, "recall": 0.083, "f1": 0.079}
    >>> chosen = choose_detection([row], min_matched=25, fallback={"threshold": 0.5,
    ...     "min_area_m2": 5600.0}, products=4, iou_threshold=0.4)
    >>> chosen["basis"], chosen["threshold"], chosen["best"]["matched"]
    ('fallback', 0.5, 3)
    >>> choose_detection([row], min_matched=3, fallback={"threshold": 0.5, "min_area_m2": 0.0},
    ...     products=4, iou_threshold=0.4)["threshold"]
    0.7
    """
    on = {"products": products, "iou_threshold": iou_threshold, "min_matched": min_matched}
    if not table or products == 0:
        best, summary = None, None
        reason = "nothing to calibrate on (no calibration products)"
    else:
        best = best_setting(table)
        summary = {key: best[key] for key in (*CANDIDATE, *COUNTS, "precision", "recall", "f1")}
        reason = (
            f"the best candidate (threshold {best['threshold']:g}, smallest polygon "
            f"{best['min_area_m2']:g} m2) matched {best['matched']} of {best['references']} "
            f"calibration patterns, fewer than train.calibration.min_matched ({min_matched})"
        )
    if best is None or best["matched"] < min_matched:
        setting, basis = fallback, FALLBACK
    else:
        setting, basis = best, CALIBRATED
        reason = (
            f"highest pooled object F1 on {products} calibration products, "
            f"{best['matched']} of {best['references']} patterns matched"
        )
    return {
        "threshold": float(setting["threshold"]),
        "min_area_m2": float(setting["min_area_m2"]),
        "basis": basis,
        "reason": reason,
        "calibrated_on": on,
        "best": summary,
    }
