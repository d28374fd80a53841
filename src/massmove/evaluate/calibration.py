"""Detection threshold and smallest polygon, calibrated on out-of-fold predictions.

Every trained member predicted the tiles of its validation ground (ground it never trained
on). Mosaicked per training product, these tiles give an out-of-fold likelihood of the whole
training scenes; it is vectorised at every candidate threshold and smallest area
(``train.calibration``) and scored against the training truth like a run's detections
(object matching at ``evaluation.iou_threshold``, counts pooled over the products). The pair
with the highest object F1 is written into every member's ``massmove.json`` (``detection``),
never chosen on a detection or test scene.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from rasterio import features

from massmove.detect.vectorise import detection_polygons
from massmove.errors import InputError
from massmove.evaluate.metrics import match_objects
from massmove.io.raster_io import read_grid
from massmove.model.checkpoint import METADATA, OOF_FILE, read_metadata
from massmove.raster import Grid
from massmove.scores import object_scores

log = logging.getLogger(__name__)


def out_of_fold_mosaics(member_dirs: Sequence[str | Path]) -> dict[str, tuple[NDArray[np.float32], Grid]]:
    """Per training product, the out-of-fold likelihood of the members (NaN where no tile)."""
    mosaics: dict[str, tuple[NDArray[np.float32], Grid]] = {}
    for directory in map(Path, member_dirs):
        record = read_metadata(directory)
        if "out_of_fold" not in record or not (directory / OOF_FILE).is_file():
            raise InputError(
                f"checkpoint {directory}: no out-of-fold predictions ({OOF_FILE}) to calibrate on"
            )
        likelihood = np.load(directory / OOF_FILE, allow_pickle=False)
        tiles = record["out_of_fold"]["tiles"]
        if len(tiles) != len(likelihood):
            raise InputError(
                f"checkpoint {directory}: {OOF_FILE} holds {len(likelihood)} tiles, {METADATA} {len(tiles)}"
            )
        patch_px = int(record["patch_px"])
        for (product, row, col), values in zip(tiles, likelihood, strict=True):
            if product not in mosaics:
                grid = read_grid(product)
                mosaics[product] = (np.full(grid.shape, np.nan, dtype=np.float32), grid)
            mosaics[product][0][row : row + patch_px, col : col + patch_px] = values
    return mosaics


def covered_polygon(mosaic: NDArray[np.float32], grid: Grid) -> shapely.Geometry:
    """The ground the out-of-fold tiles cover."""
    covered = np.isfinite(mosaic)
    shapes = features.shapes(covered.astype(np.uint8), mask=covered, transform=grid.transform)
    return shapely.union_all([shapely.geometry.shape(geometry) for geometry, _ in shapes])


def calibration_table(
    mosaics: Mapping[str, tuple[NDArray[np.float32], Grid]],
    references: Mapping[str, Sequence[shapely.Geometry]],
    *,
    thresholds: Sequence[float],
    min_areas_m2: Sequence[float],
    iou_threshold: float,
) -> list[dict[str, Any]]:
    """Pooled detections, references, matches and object scores for every candidate pair."""
    counts = {(t, a): [0, 0, 0] for t in thresholds for a in min_areas_m2}
    for product, (mosaic, grid) in mosaics.items():
        coverage = covered_polygon(mosaic, grid)
        clipped = (shapely.intersection(g, coverage) for g in references.get(product, []))
        refs = [g for g in clipped if not g.is_empty and g.area > 0]
        for threshold in thresholds:
            frame = detection_polygons(
                mosaic, np.zeros_like(mosaic), grid, {}, threshold=threshold, min_area_m2=0.0
            )
            for min_area in min_areas_m2:
                kept = list(frame.geometry[frame["area_m2"] >= min_area])
                matched = len(match_objects(kept, refs, iou_threshold=iou_threshold))
                total = counts[(threshold, min_area)]
                total[0] += len(kept)
                total[1] += len(refs)
                total[2] += matched
    return [
        {
            "threshold": threshold,
            "min_area_m2": min_area,
            "detections": d,
            "references": r,
            "matched": m,
            **object_scores(d, r, m),
        }
        for (threshold, min_area), (d, r, m) in counts.items()
    ]


def best_setting(table: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The row of the highest object F1; ties go to the higher threshold, then the larger area.

    Examples
    --------
    >>> rows = [{"f1": 0.5, "threshold": t, "min_area_m2": 0} for t in (0.5, 0.6)]
    >>> best_setting(rows)["threshold"]
    0.6
    """
    return max(table, key=lambda row: (round(row["f1"], 12), row["threshold"], row["min_area_m2"]))
