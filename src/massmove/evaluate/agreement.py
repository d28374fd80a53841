"""Agreement between annotation sets of the same area (experts and/or model runs), as in the
study's expert-variability analysis: pairwise IoU of the mapped areas with the pattern
classes kept apart (mean over classes of the per-class IoU) and merged (every class as one).

IoU is computed on the polygons themselves (shapely areas of the dissolved sets), not on a
raster, so annotation sets on different grids or in different CRSs compare exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from massmove.io.vector import read_vector
from massmove.scores import iou

MERGED = "merged"
CLASSES_APART = "classes_apart"


def read_annotations(
    path: str | Path, *, crs: Any, class_column: str, default_class: str
) -> dict[str, shapely.Geometry]:
    """The dissolved area of each class of one annotation set, in ``crs``. Sets without
    ``class_column`` (e.g. detections of a model run) are all ``default_class``."""
    frame = read_vector(path, what="annotations").to_crs(crs)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    classes = frame[class_column].astype(str) if class_column in frame else np.full(len(frame), default_class)
    return {
        str(name): shapely.union_all(frame.geometry[classes == name].make_valid().to_numpy())
        for name in sorted(set(classes))
    }


def area_iou(a: shapely.Geometry | None, b: shapely.Geometry | None) -> float | None:
    """IoU of two areas; None when both are empty (nothing to agree on)."""
    a = a if a is not None else shapely.Polygon()
    b = b if b is not None else shapely.Polygon()
    return iou(shapely.intersection(a, b).area, shapely.union(a, b).area)


def pairwise_agreement(
    sets: Mapping[str, Mapping[str, shapely.Geometry]], classes: Sequence[str]
) -> list[dict[str, Any]]:
    """Rows (annotator_a, annotator_b, scope, iou) for every pair of sets (both orders and
    the diagonal, for a full matrix): one per class of ``classes``, ``classes_apart`` (mean of
    the per-class IoUs that are defined) and ``merged`` (all ``classes`` as one area)."""
    rows = []
    for first, second in itertools.product(sets, repeat=2):
        a, b = sets[first], sets[second]
        per_class = {name: area_iou(a.get(name), b.get(name)) for name in classes}
        defined = [v for v in per_class.values() if v is not None]
        merged = area_iou(
            shapely.union_all([a[n] for n in classes if n in a]),
            shapely.union_all([b[n] for n in classes if n in b]),
        )
        scopes = {**per_class, CLASSES_APART: float(np.mean(defined)) if defined else None, MERGED: merged}
        rows += [
            {"annotator_a": first, "annotator_b": second, "scope": s, "iou": v} for s, v in scopes.items()
        ]
    return rows


def iou_matrix(rows: Sequence[Mapping[str, Any]], names: Sequence[str], scope: str) -> NDArray[np.float64]:
    """The (n, n) IoU matrix of one scope (NaN where undefined)."""
    matrix = np.full((len(names), len(names)), np.nan)
    for row in rows:
        if row["scope"] == scope and row["iou"] is not None:
            matrix[names.index(row["annotator_a"]), names.index(row["annotator_b"])] = row["iou"]
    return matrix


def mean_iou_per_annotator(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean IoU of each annotator with every other one (the diagonal left out)."""
    off = matrix.copy()
    np.fill_diagonal(off, np.nan)
    with np.errstate(invalid="ignore"):
        return np.array([np.nanmean(r) if np.isfinite(r).any() else np.nan for r in off])
