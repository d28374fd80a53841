"""Stages of the evaluation rules (``evaluate.smk``): one pair against its reference, and the
pooled run."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from massmove.errors import InputError
from massmove.evaluate.pair import evaluate_pair, pool_evaluations
from massmove.io.atomic import write_json
from massmove.io.detection import detection_from_tags
from massmove.io.labels import read_labels
from massmove.io.raster_io import read_bands
from massmove.io.vector import read_vector
from massmove.scores import format_score
from massmove.settings import StageSettings

log = logging.getLogger(__name__)


def evaluate_pair_stage(
    config: StageSettings,
    detections_gpkg: str | Path,
    likelihood_tif: str | Path,
    reference_path: str | Path,
    evaluation_json: str | Path,
) -> None:
    """``results/evaluation/{pair}.json``: one pair's detections and likelihood against the
    reference polygons (``evaluation`` and ``detection`` sections of the config)."""
    settings = config["evaluation"]
    bands, grid, tags = read_bands(likelihood_tif, required=("likelihood_mean",))
    detections = read_vector(detections_gpkg, what="detections")
    references = read_labels(
        reference_path, label_class=settings["reference_class"], class_column=settings["class_column"]
    )
    lenient = None
    if settings["lenient_class"] is not None and settings["class_column"] is not None:
        lenient = read_labels(
            reference_path, label_class=settings["lenient_class"], class_column=settings["class_column"]
        )
    result = evaluate_pair(
        detections,
        references,
        bands["likelihood_mean"],
        grid,
        iou_threshold=settings["iou_threshold"],
        likelihood_threshold=detection_from_tags(tags, config["detection"]).threshold,
        coverages=settings["coverage_thresholds"],
        lenient=lenient,
    )
    result = {
        "pair_id": tags.get("pair_id", Path(likelihood_tif).stem),
        "reference": str(reference_path),
        **result,
    }
    log.info(
        "%s: pixel IoU %s, object F1 %s (%d detections, %d references, %d matched)",
        result["pair_id"],
        format_score(result["pixel"]["iou"], "iou"),
        format_score(result["object"]["f1"], "f1"),
        result["n_detections"],
        result["n_references"],
        result["object"]["matched"],
    )
    write_json(evaluation_json, result, indent=1)


def evaluation_stage(
    config: StageSettings, pair_jsons: Sequence[str | Path], evaluation_json: str | Path
) -> None:
    """``results/evaluation.json``: figures pooled over every pair, with the per-pair ones."""
    per_pair = {}
    for path in pair_jsons:
        try:
            record = json.loads(Path(path).read_text())
            per_pair[record["pair_id"]] = record
        except (OSError, ValueError, KeyError) as err:
            raise InputError(f"{path}: not a pair evaluation ({err})") from err
    thresholds = {record.get("likelihood_threshold") for record in per_pair.values()}
    pooled = pool_evaluations(
        per_pair,
        iou_threshold=config["evaluation"]["iou_threshold"],
        likelihood_threshold=thresholds.pop() if len(thresholds) == 1 else None,
    )
    log.info(
        "%d pairs: pixel IoU %s, object precision %s, recall %s, F1 %s",
        len(per_pair),
        format_score(pooled["pixel_iou"], "iou"),
        format_score(pooled["object_precision"], "precision"),
        format_score(pooled["object_recall"], "recall"),
        format_score(pooled["object_f1"], "f1"),
    )
    write_json(evaluation_json, pooled, indent=1)
