"""Stages of the evaluation rules (``evaluate.smk``): one pair against its reference, and the
pooled run."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from massmove.errors import InputError
from massmove.evaluate.pair import evaluate_pair, pool_evaluations
from massmove.evaluate.support import support_evaluation
from massmove.io.atomic import write_json
from massmove.io.detection import detection_from_tags
from massmove.io.labels import read_labels
from massmove.io.raster_io import read_bands
from massmove.io.vector import read_vector
from massmove.pairs import acquisitions_of_tags
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
    config: StageSettings,
    pair_jsons: Sequence[str | Path],
    evaluation_json: str | Path,
    *,
    merged_gpkg: str | Path | None = None,
    references: Mapping[str, str | Path] | None = None,
    likelihood_tifs: Sequence[str | Path] = (),
) -> None:
    """``results/evaluation.json``: figures pooled over every pair, with the per-pair ones; with
    the merged detections (``merged_gpkg``), each pair's reference (``references``, by pair id)
    and the likelihood rasters (their covered ground), also the detected areas and the
    confirmed ones against the truth that persists (:mod:`massmove.evaluate.support`)."""
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
    if merged_gpkg is not None and references:
        pooled["support"] = _support_scores(config, merged_gpkg, references, likelihood_tifs)
    write_json(evaluation_json, pooled, indent=1)


def _support_scores(
    config: StageSettings,
    merged_gpkg: str | Path,
    references: Mapping[str, str | Path],
    likelihood_tifs: Sequence[str | Path],
) -> dict[str, Any]:
    """Every pair's detections and the confirmed ones against the persistent truth."""
    settings = config["evaluation"]
    pair_detections = read_vector(merged_gpkg, what="detections with their support", layer="pair_detections")
    labels = {
        pair_id: read_labels(
            path, label_class=settings["reference_class"], class_column=settings["class_column"]
        )
        for pair_id, path in references.items()
    }
    covered_km2, acquisitions = {}, {}
    for path in likelihood_tifs:
        bands, grid, tags = read_bands(path, required=("likelihood_mean",))
        pair_id = tags.get("pair_id", Path(path).stem)
        covered_km2[pair_id] = float(np.isfinite(bands["likelihood_mean"]).sum()) * grid.spacing_m**2 / 1e6
        acquisitions[pair_id] = acquisitions_of_tags(tags)
    result = support_evaluation(
        pair_detections,
        labels,
        covered_km2,
        min_support=config["detection"]["min_support"],
        iou_threshold=settings["iou_threshold"],
        acquisitions=acquisitions if config["detection"]["support"]["independent_pairs"] else None,
    )
    every, confirmed = result["every_detection"], result["confirmed"]
    log.info(
        "support >= %d%s: %d of %d detections confirmed; against %d persistent patterns, F1 %s (every "
        "detection %s), false alarms per 100 km2 and pair %s (every detection %s)",
        result["min_support"],
        " (pairs sharing no acquisition)" if result["independent_pairs"] else "",
        confirmed["detections"],
        every["detections"],
        result["persistent_references"],
        format_score(confirmed["f1"], "f1"),
        format_score(every["f1"], "f1"),
        format_score(confirmed["false_alarms_per_100km2"]),
        format_score(every["false_alarms_per_100km2"]),
    )
    return result
