"""Stage of the report rule (``report.smk``): the offline HTML report of the run."""

from __future__ import annotations

import logging
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np

from massmove.colormaps import STYLES
from massmove.io.atomic import atomic_path
from massmove.io.detection import detection_from_tags
from massmove.io.labels import read_labels
from massmove.io.qgis import (
    ProjectLayer,
    gray_style,
    likelihood_style,
    outline_style,
    project_xml,
    pseudocolor_style,
    qml_text,
    support_style,
)
from massmove.io.raster_io import band_number, raster_crs, read_grid, read_tags
from massmove.io.vector import first_layer, read_vector, vector_crs
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


def raster_styles_stage(
    config: StageSettings, product_tif: str | Path, phase_qml: str | Path, likelihood_qml: str | Path
) -> None:
    """QGIS styles beside a pair's rasters (QGIS applies ``{name}.qml`` when it opens
    ``{name}.tif``): the wrapped phase of the product in romaO from -pi to pi, the likelihood
    mean in batlow from 0 to 1. ``config`` holds no setting: the styles are the report's."""
    for path, pipe in ((phase_qml, phase_pipe(product_tif)), (likelihood_qml, likelihood_pipe())):
        with atomic_path(Path(path)) as tmp:
            tmp.write_text(qml_text(pipe), encoding="utf-8")


def phase_pipe(product_tif: str | Path) -> ET.Element:
    """The raster style of a product's wrapped phase: romaO from -pi to pi."""
    return pseudocolor_style(STYLES["phase_romao"], band_number(product_tif, "wrapped_phase"))


def likelihood_pipe() -> ET.Element:
    """The raster style of a likelihood raster's mean (band 1): batlow from 0 to 1."""
    return pseudocolor_style(STYLES["likelihood_mean"], 1)


def qgis_project_stage(
    config: StageSettings,
    *,
    interferograms: Sequence[str | Path],
    likelihoods: Sequence[str | Path],
    detections: Sequence[str | Path],
    merged_gpkg: str | Path,
    references: Sequence[str | Path],
    baseline_detections: Sequence[str | Path],
    project_qgs: str | Path,
) -> None:
    """``results/massmove.qgs``: a QGIS project of the run (lists ordered by pair), each layer
    with its style, its own CRS and a path relative to the project, opening on the products'
    extent. The merged detections on top (magenta: confirmed, dashed cyan: not), then per pair
    its detections (by likelihood), reference patterns (black; the evaluation's class only),
    likelihood mean, wrapped phase (romaO), coherence and the baseline's detections (the last
    two hidden when the project opens)."""
    home = Path(project_qgs).parent.resolve()
    evaluation = config["evaluation"]

    def relative(path: str | Path) -> str:
        return f"./{os.path.relpath(Path(path).resolve(), home)}"

    def vector(name: str, path: str | Path, group: str, style: ET.Element, *, visible: bool = True,
               subset: str | None = None, layer: str | None = None) -> ProjectLayer:  # fmt: skip
        layer = layer or first_layer(path)
        source = relative(path)
        source += (f"|layername={layer}" if Path(path).suffix.lower() == ".gpkg" else "") + (
            f"|subset={subset}" if subset else ""
        )
        return ProjectLayer(name, source, "ogr", group, style, vector_crs(path, layer), visible)

    def raster(
        name: str, path: str | Path, group: str, style: ET.Element, *, visible: bool = True
    ) -> ProjectLayer:
        return ProjectLayer(name, relative(path), "gdal", group, style, raster_crs(path), visible)

    subset = None
    if evaluation["class_column"]:
        subset = f"\"{evaluation['class_column']}\" = '{evaluation['reference_class']}'"
    layers = [
        vector("detected areas", merged_gpkg, "across pairs", support_style()),
        vector(
            "every pair's detections",
            merged_gpkg,
            "across pairs",
            support_style(),
            visible=False,
            layer="pair_detections",
        ),
    ]
    for index, product in enumerate(interferograms):
        pair_id = Path(product).stem
        threshold = detection_from_tags(read_tags(likelihoods[index]), config["detection"]).threshold
        layers.append(
            vector(f"{pair_id} detections", detections[index], pair_id, likelihood_style(threshold))
        )
        if references:
            style = outline_style("0,0,0,255")
            layers.append(vector(f"{pair_id} reference", references[index], pair_id, style, subset=subset))
        layers += [
            raster(f"{pair_id} likelihood mean", likelihoods[index], pair_id, likelihood_pipe()),
            raster(f"{pair_id} wrapped phase", product, pair_id, phase_pipe(product)),
            raster(f"{pair_id} coherence", product, pair_id,
                   gray_style(band_number(product, "coherence"), 0.0, 1.0), visible=False),
        ]  # fmt: skip
        if baseline_detections:
            style = outline_style("255,140,0,255", 0.3)
            layers.append(
                vector(
                    f"{pair_id} baseline detections",
                    baseline_detections[index],
                    pair_id,
                    style,
                    visible=False,
                )
            )
    bounds = np.array([read_grid(product).bounds for product in interferograms])
    extent = (*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0))
    text = project_xml("massmove run", config["crs"], extent, layers)
    with atomic_path(Path(project_qgs)) as tmp:
        tmp.write_text(text, encoding="utf-8")
    log.info("QGIS project of %d layers written to %s", len(layers), project_qgs)
