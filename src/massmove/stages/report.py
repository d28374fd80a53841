"""Stage of the report rule (``report.smk``): the offline HTML report of the run."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd

from massmove.io.atomic import atomic_path
from massmove.io.labels import read_labels
from massmove.io.vector import read_vector
from massmove.report.html import build_report, load_json
from massmove.settings import StageSettings

log = logging.getLogger(__name__)


def report_stage(
    config: StageSettings,
    *,
    interferograms: Sequence[str | Path],
    likelihoods: Sequence[str | Path],
    detections: Sequence[str | Path],
    baseline_detections: Sequence[str | Path],
    references: Sequence[str | Path],
    evaluation_json: str | Path | None,
    baseline_evaluation_json: str | Path | None,
    provenance_json: str | Path,
    benchmark_dir: str | Path,
    report_html: str | Path,
    agreement: Sequence[str | Path] = (),
    calibration_json: str | Path | None = None,
    merged_gpkg: str | Path | None = None,
) -> None:
    """``results/report.html`` from the run's products (lists ordered by pair); the detection
    settings as vectorise resolves them (``detection`` and the likelihood's calibration tags),
    the calibration record of members the run trained, and the detected areas across pairs
    (``merged_gpkg``, with their support)."""
    settings = config["evaluation"]
    pairs = []
    for index, product in enumerate(interferograms):
        layers = {"detections": read_vector(detections[index], what="detections")}
        if baseline_detections:
            layers["baseline"] = read_vector(baseline_detections[index], what="baseline detections")
        reference: gpd.GeoDataFrame | None = None
        if references:
            reference = read_labels(
                references[index],
                label_class=settings["reference_class"],
                class_column=settings["class_column"],
            )
        pairs.append(
            {
                "pair_id": Path(product).stem,
                "interferogram": product,
                "likelihood": likelihoods[index],
                "reference": reference,
                "layers": layers,
            }
        )
    evaluations = {}
    if evaluation_json:
        evaluations[config["model"]["architecture"]] = load_json(evaluation_json, "evaluation")
    if baseline_evaluation_json:
        evaluations["baseline"] = load_json(baseline_evaluation_json, "baseline evaluation")
    text = build_report(
        title="massmove run report",
        pairs=pairs,
        evaluations=evaluations,
        provenance=load_json(provenance_json, "provenance record"),
        benchmark_dir=benchmark_dir,
        agreement=(agreement[0], agreement[1]) if agreement else None,
        detection=config["detection"],
        calibration=load_json(calibration_json, "calibration record") if calibration_json else None,
        detector="baseline" if config["model"]["architecture"] == "baseline" else "ensemble",
        merged=read_vector(merged_gpkg, what="merged detections", layer="detections")
        if merged_gpkg
        else None,
        pair_detections=read_vector(
            merged_gpkg, what="detections with their support", layer="pair_detections"
        )
        if merged_gpkg
        else None,
        iou_threshold=settings["iou_threshold"],
    )
    with atomic_path(Path(report_html)) as tmp:
        tmp.write_text(text, encoding="utf-8")
    log.info("report of %d pairs written to %s", len(pairs), report_html)
