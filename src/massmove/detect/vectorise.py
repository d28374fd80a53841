"""Polygons of mean likelihood >= threshold, with attributes, and their merge across pairs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from rasterio import features
from scipy import ndimage, sparse
from scipy.sparse import csgraph

from massmove.grid import Grid

#: 4-connectivity, as rasterio.features.shapes uses by default
FOUR_CONNECTED = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]])

DETECTION_COLUMNS = [
    "detection_id",
    "pair_id",
    "track",
    "reference",
    "secondary",
    "baseline_days",
    "area_m2",
    "likelihood_mean",
    "likelihood_max",
    "spread_mean",
    "geometry",
]

MERGED_COLUMNS = [
    "area_id",
    "n_pairs",
    "n_geometries",
    "pairs",
    "tracks",
    "area_m2",
    "likelihood_max",
    "geometry",
]


def detection_polygons(
    likelihood_mean: NDArray,
    likelihood_spread: NDArray,
    grid: Grid,
    pair_tags: Mapping[str, Any],
    *,
    threshold: float,
    min_area_m2: float,
) -> gpd.GeoDataFrame:
    """Polygons of ``likelihood_mean >= threshold`` (nodata never detected) with their pair's
    attributes, area and likelihood statistics; smaller than ``min_area_m2`` dropped."""
    mean = np.asarray(likelihood_mean, dtype=np.float32)
    detected = np.isfinite(mean) & (mean >= threshold)
    regions, count = ndimage.label(detected, structure=FOUR_CONNECTED)
    records = []
    if count:
        index = np.arange(1, count + 1)
        mean_of = ndimage.mean(mean, regions, index)
        max_of = ndimage.maximum(mean, regions, index)
        spread_of = ndimage.mean(np.nan_to_num(likelihood_spread), regions, index)
        shapes = features.shapes(
            regions.astype(np.int32), mask=detected, transform=grid.transform, connectivity=4
        )
        polygons: dict[int, list[Any]] = {}
        for geometry, value in shapes:
            polygons.setdefault(int(value), []).append(shapely.geometry.shape(geometry))
        for region in index:
            outline = shapely.union_all(polygons[int(region)])
            if outline.area < min_area_m2:
                continue
            records.append(
                {
                    "pair_id": pair_tags.get("pair_id", ""),
                    "track": pair_tags.get("track", ""),
                    "reference": pair_tags.get("reference", ""),
                    "secondary": pair_tags.get("secondary", ""),
                    "baseline_days": int(pair_tags.get("baseline_days", 0)),
                    "area_m2": float(outline.area),
                    "likelihood_mean": float(mean_of[region - 1]),
                    "likelihood_max": float(max_of[region - 1]),
                    "spread_mean": float(spread_of[region - 1]),
                    "geometry": outline,
                }
            )
    frame = pd.DataFrame.from_records(records, columns=[c for c in DETECTION_COLUMNS if c != "detection_id"])
    frame.insert(0, "detection_id", np.arange(1, len(frame) + 1))
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=grid.crs)


def merge_detections(layers: Sequence[gpd.GeoDataFrame], crs: str) -> gpd.GeoDataFrame:
    """One feature per ground area detected in any pair: overlapping detections of all pairs
    are dissolved together; each feature says how many pairs and viewing geometries saw it."""
    return merged_areas(layers, crs)[0]


def merged_areas(
    layers: Sequence[gpd.GeoDataFrame], crs: str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, NDArray[np.int64]]:
    """The merged areas (:func:`merge_detections`), every pair's detections in ``crs`` in one
    frame, and the row of the area each detection lies in."""
    frames = [layer.to_crs(crs) for layer in layers if not layer.empty]
    if not frames:
        empty = gpd.GeoDataFrame(pd.DataFrame(columns=MERGED_COLUMNS), geometry="geometry", crs=crs)
        every = gpd.GeoDataFrame(pd.DataFrame(columns=DETECTION_COLUMNS), geometry="geometry", crs=crs)
        return empty, every, np.zeros(0, dtype=np.int64)
    every = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)
    geometries = every.geometry.to_numpy()
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    adjacency = sparse.coo_matrix((np.ones(len(left)), (left, right)), shape=(len(every), len(every)))
    _, group_of = csgraph.connected_components(adjacency, directed=False)
    records = []
    for group in range(group_of.max() + 1):
        members = every[group_of == group]
        outline = shapely.union_all(members.geometry.to_numpy())
        pairs = sorted(set(members["pair_id"]))
        tracks = sorted(set(members["track"]))
        records.append(
            {
                "n_pairs": len(pairs),
                "n_geometries": len(tracks),
                "pairs": ";".join(pairs),
                "tracks": ";".join(tracks),
                "area_m2": float(outline.area),
                "likelihood_max": float(members["likelihood_max"].max()),
                "geometry": outline,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=MERGED_COLUMNS[1:])
    frame.insert(0, "area_id", np.arange(1, len(frame) + 1))
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs), every, group_of.astype(np.int64)
