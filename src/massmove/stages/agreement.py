"""Stage of the agreement rule (``agreement.smk``): how far annotators agree with each other."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from massmove.errors import InputError
from massmove.evaluate.agreement import (
    CLASSES_APART,
    MERGED,
    iou_matrix,
    mean_iou_per_annotator,
    pairwise_agreement,
    read_annotations,
)
from massmove.io.atomic import atomic_path
from massmove.report.figures import heatmap_png
from massmove.settings import StageSettings


def agreement_stage(
    config: StageSettings,
    annotation_paths: Mapping[str, str | Path],
    csv_path: str | Path,
    png_path: str | Path,
) -> None:
    """``results/agreement/agreement.csv`` (pairwise IoU per scope, and each annotator's mean
    with the others) and ``agreement.png`` (heatmaps, classes apart and merged)."""
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
