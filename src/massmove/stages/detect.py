"""Workflow stages of the detections: vectorise one pair, merge all pairs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd

from massmove.detect.support import PairView, detecting_pairs, los_of_tags, polygon_support, without_support
from massmove.detect.vectorise import detection_polygons, merged_areas
from massmove.errors import InputError
from massmove.io.detection import DEFAULT_THRESHOLD, detection_from_tags, unreached_likelihood
from massmove.io.qgis import qml_text, support_style
from massmove.io.raster_io import read_bands, read_raster
from massmove.io.vector import read_vector, write_gpkg, write_gpkg_layers
from massmove.pairs import acquisitions_of_tags
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
    # one layer and no style table: readers that name no layer open it without a warning (the
    # QGIS project styles it)
    write_gpkg(detections_gpkg, frame, layer="detections")


def merge_stage(
    config: StageSettings,
    detection_gpkgs: Sequence[str | Path],
    likelihood_tifs: Sequence[str | Path],
    product_tifs: Sequence[str | Path],
    dem_tif: str | Path | None,
    merged_gpkg: str | Path,
) -> None:
    """Merge the detections of every pair into ``results/detections.gpkg`` with their support
    across pairs (:mod:`massmove.detect.support`): layer ``detections``, one feature per
    detected area; layer ``pair_detections``, every pair's detections with their ``area_id``
    and their own support (judged on their own outline). Likelihoods and products are matched
    to pairs by file name (``{pair}.tif``)."""
    layers = [read_vector(path, what="detections") for path in detection_gpkgs]
    areas, every, area_of = merged_areas(layers, config["crs"])
    products = {Path(p).stem: p for p in product_tifs}
    views, grid = [], None
    for likelihood_tif in likelihood_tifs:
        pair_id = Path(likelihood_tif).stem
        if pair_id not in products:
            raise InputError(f"{likelihood_tif}: no interferogram product of pair {pair_id} in the inputs")
        likelihood, grid, tags = read_bands(likelihood_tif, required=("likelihood_mean",))
        product, product_grid, product_tags = read_bands(products[pair_id], required=("coherence",))
        if product_grid != grid:
            raise InputError(f"{products[pair_id]}: not on the grid of {likelihood_tif}")
        threshold = detection_from_tags(tags, config["detection"]).threshold
        coherence, likelihood_mean = product["coherence"], likelihood["likelihood_mean"]
        los, acquisitions = los_of_tags(product_tags), acquisitions_of_tags(product_tags)
        views.append(PairView(pair_id, coherence, likelihood_mean, threshold, los, acquisitions, grid))
    pair_detections = every.copy()
    pair_detections.insert(1, "area_id", area_of + 1)
    if areas.empty:
        areas, pair_detections = without_support(areas), without_support(pair_detections)
    elif grid is None:
        raise InputError(f"{detection_gpkgs[0]}: detections, but no likelihood raster to judge their support")
    else:
        support = config["detection"]["support"]
        dem = None if dem_tif is None else read_raster(dem_tif)[:2]

        def judged(polygons: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
            return polygon_support(
                polygons,
                detecting_pairs(polygons, every),
                views,
                grid,
                min_coherence=support["min_coherence"],
                min_los_share=support["min_los_share"],
                min_support=config["detection"]["min_support"],
                independent=support["independent_pairs"],
                min_likelihood_share=support["min_likelihood_share"],
                dem=dem,
            )

        every = every.to_crs(grid.crs)
        areas, pair_detections = judged(areas.to_crs(grid.crs)), judged(pair_detections.to_crs(grid.crs))
        areas, pair_detections = areas.to_crs(config["crs"]), pair_detections.to_crs(config["crs"])
    log.info(
        "%d detected areas from %d pairs, %d confirmed; %d of %d pairs' detections confirmed (%s >= %d)",
        len(areas),
        len(layers),
        int(areas["confirmed"].sum()),
        int(pair_detections["confirmed"].sum()),
        len(pair_detections),
        "independent support" if config["detection"]["support"]["independent_pairs"] else "support",
        config["detection"]["min_support"],
    )
    style = qml_text(support_style())
    write_gpkg_layers(
        merged_gpkg,
        {"detections": areas, "pair_detections": pair_detections},
        styles={"detections": style, "pair_detections": style},
    )
