"""Agreement between annotation sets of the same area (experts and/or model runs), as in the
study's expert-variability analysis: pairwise IoU of the mapped areas with the pattern
classes kept apart (mean over classes of the per-class IoU) and merged (every class as one).

IoU is computed on the polygons themselves (shapely areas of the dissolved sets), not on a
raster, so annotation sets on different grids or in different CRSs compare exactly.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from massmove.errors import InputError
from massmove.io.atomic import atomic_path
from massmove.io.vector import read_vector

MERGED = "merged"
CLASSES_APART = "classes_apart"


def read_annotations(
    path: str | Path, *, crs: Any, class_column: str, default_class: str
) -> dict[str, shapely.Geometry]:
    """The dissolved area of each class of one annotation set, in ``crs``. Sets without
    ``class_column`` (e.g. detections of a model run) are all ``default_class``."""
    frame = read_vector(path, what="annotations")
    if frame.crs is None:
        raise InputError(f"{path}: annotations without a CRS")
    frame = frame.to_crs(crs)
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
    union = shapely.union(a, b).area
    if union == 0:
        return None
    return float(shapely.intersection(a, b).area / union)


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


def agreement_stage(
    config: Mapping[str, Any],
    annotation_paths: Mapping[str, str | Path],
    csv_path: str | Path,
    png_path: str | Path,
) -> None:
    """``results/agreement/agreement.csv`` (pairwise IoU per scope, and each annotator's mean
    with the others) and ``agreement.png`` (heatmaps, classes apart and merged)."""
    from massmove.report.figures import heatmap_png

    settings = config["agreement"]
    names = list(annotation_paths)
    if len(names) < 2:
        raise InputError("config key 'agreement.annotations': at least two annotation sets are needed")
    sets = {
        name: read_annotations(
            path,
            crs=config["crs"],
            class_column=settings["class_column"],
            default_class=settings["default_class"],
        )
        for name, path in annotation_paths.items()
    }
    rows = pairwise_agreement(sets, settings["classes"])
    matrices = {scope: iou_matrix(rows, names, scope) for scope in (CLASSES_APART, MERGED)}
    means = {scope: mean_iou_per_annotator(matrix) for scope, matrix in matrices.items()}
    with atomic_path(Path(csv_path)) as tmp, tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["annotator_a", "annotator_b", "scope", "iou"])
        for row in rows:
            iou = "" if row["iou"] is None else f"{row['iou']:.6f}"
            writer.writerow([row["annotator_a"], row["annotator_b"], row["scope"], iou])
        for scope, values in means.items():
            for name, value in zip(names, values, strict=True):
                writer.writerow([name, "mean_of_others", scope, "" if np.isnan(value) else f"{value:.6f}"])
    png = heatmap_png(matrices, names, "Pairwise IoU")
    with atomic_path(Path(png_path)) as tmp:
        tmp.write_bytes(png)
