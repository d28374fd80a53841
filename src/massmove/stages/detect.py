"""Workflow stages of the detections: vectorise one pair, merge all pairs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from massmove.detect.vectorise import detection_polygons, merge_detections
from massmove.io.detection import DEFAULT_THRESHOLD, detection_from_tags, unreached_likelihood
from massmove.io.raster_io import read_bands
from massmove.io.vector import read_vector, write_gpkg
from massmove.settings import StageSettings

log = logging.getLogger(__name__)


def vectorise_stage(config: StageSettings, likelihood_tif: str | Path, detections_gpkg: str | Path) -> None:
    """Polygons of one pair's likelihood raster (``detection`` section of the config)."""
    bands, grid, tags = read_bands(likelihood_tif, required=("likelihood_mean", "likelihood_spread"))
    settings = detection_from_tags(tags, config["detection"])
    frame = detection_polygons(
        bands["likelihood_mean"],
        bands["likelihood_spread"],
        grid,
        tags,
        threshold=settings.threshold,
        min_area_m2=settings.min_area_m2,
    )
    log.info(
        "%s: %d detections (threshold %.3f, smallest %.0f m2: %s)",
        *(tags.get("pair_id", likelihood_tif), len(frame), settings.threshold, settings.min_area_m2),
        settings.source,
    )
    unreached = unreached_likelihood(bands["likelihood_mean"], len(frame))
    if unreached is not None:
        log.warning(
            "%s: no detection, although the mean likelihood reaches %.3f (>= %.1f) somewhere: "
            "threshold %.3f and smallest polygon %.0f m2 (%s) leave nothing",
            *(tags.get("pair_id", likelihood_tif), unreached, DEFAULT_THRESHOLD, settings.threshold),
            *(settings.min_area_m2, settings.source),
        )
    write_gpkg(detections_gpkg, frame, layer="detections")


def merge_stage(
    config: StageSettings, detection_gpkgs: Sequence[str | Path], merged_gpkg: str | Path
) -> None:
    """Merge the detections of every pair into ``results/detections.gpkg``."""
    layers = [read_vector(path, what="detections") for path in detection_gpkgs]
    merged = merge_detections(layers, config["crs"])
    log.info("%d detected areas from %d pairs", len(merged), len(layers))
    write_gpkg(merged_gpkg, merged, layer="detections")
