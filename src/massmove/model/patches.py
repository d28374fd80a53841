"""Patch datasets for training: labels rasterised on the product grid, positive, random
negative and hard negative patches, and folds split by ground area."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray
from rasterio import features

from massmove.errors import InputError
from massmove.io.raster_io import read_bands
from massmove.io.vector import read_vector
from massmove.model.channels import product_channels
from massmove.raster import Grid

KINDS = ("positive", "negative", "hard_negative")


@dataclasses.dataclass
class PatchSet:
    """Training patches: inputs, labels and where each one comes from."""

    inputs: NDArray[np.float32]  # (n, channels, patch, patch)
    labels: NDArray[np.uint8]  # (n, patch, patch), 1 = labelled pattern
    valid: NDArray[np.bool_]  # (n, patch, patch)
    area_ids: NDArray[np.int64]  # which ground area (scene) a patch lies on
    origins: NDArray[np.int64]  # (n, 2) row, col of the top-left pixel on the area's grid
    kinds: NDArray[np.int64]  # index into KINDS
    sources: list[str]  # product path of each patch

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: NDArray[np.int64]) -> PatchSet:
        """The patches at ``index``."""
        return PatchSet(
            self.inputs[index],
            self.labels[index],
            self.valid[index],
            self.area_ids[index],
            self.origins[index],
            self.kinds[index],
            [self.sources[i] for i in index],
        )

    def digest(self) -> str:
        """sha256 of inputs, labels and positions (identifies the training data)."""
        sha = hashlib.sha256()
        for array in (self.inputs, self.labels, self.valid, self.area_ids, self.origins, self.kinds):
            sha.update(np.ascontiguousarray(array).tobytes())
        return sha.hexdigest()


def rasterise_labels(polygons: gpd.GeoDataFrame, grid: Grid) -> NDArray[np.uint8]:
    """1 where a polygon covers a pixel centre of the grid, else 0."""
    if polygons.empty:
        return np.zeros(grid.shape, dtype=np.uint8)
    frame = polygons.to_crs(grid.crs) if polygons.crs is not None else polygons
    shapes = ((geom, 1) for geom in frame.geometry if geom is not None and not geom.is_empty)
    return features.rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=0, dtype="uint8")


def read_labels(
    path: str | Path, *, label_class: str, class_column: str | None = "class"
) -> gpd.GeoDataFrame:
    """Label polygons of one class from a vector file (any CRS)."""
    frame = read_vector(path, what="label polygons")
    if class_column is None:
        return frame
    if class_column not in frame.columns:
        raise InputError(f"{path}: no column {class_column!r} (columns: {', '.join(frame.columns)})")
    return frame[frame[class_column] == label_class]


def patch_origins(shape: tuple[int, int], patch_px: int, stride_px: int) -> NDArray[np.int64]:
    """Top-left corners of patches tiling a raster; the last row/column of patches touches the edge.

    Examples
    --------
    >>> patch_origins((300, 256), 128, 64)[:, 0].tolist()[::3]
    [0, 64, 128, 172]
    """
    rows, cols = shape
    if rows < patch_px or cols < patch_px:
        raise InputError(f"raster {shape} is smaller than one {patch_px} px patch")

    def starts(n: int) -> list[int]:
        values = list(range(0, n - patch_px + 1, stride_px))
        if values[-1] != n - patch_px:
            values.append(n - patch_px)
        return values

    return np.array([(r, c) for r in starts(rows) for c in starts(cols)], dtype=np.int64)


def hardness_map(wrapped_phase_rad: NDArray, coherence: NDArray) -> NDArray[np.float64]:
    """Per-pixel hard-negative score: phase gradient (in units of pi per pixel) plus 1 where
    the coherence is below 0.3; 0 on nodata.

    Atmospheric and topographic residual fringes give strong, smooth phase gradients; layover,
    shadow, water and forest give low coherence. Both are what a detector confuses with motion.
    """
    phasor = np.exp(1j * np.nan_to_num(np.asarray(wrapped_phase_rad, dtype=np.float64)))
    gradient = np.zeros(phasor.shape)
    gradient[:-1, :] += np.abs(np.angle(phasor[1:, :] * np.conj(phasor[:-1, :])))
    gradient[:, :-1] += np.abs(np.angle(phasor[:, 1:] * np.conj(phasor[:, :-1])))
    coh = np.asarray(coherence, dtype=np.float64)
    score = gradient / np.pi + (coh < 0.3)
    return np.where(np.isfinite(coh) & np.isfinite(wrapped_phase_rad), score, 0.0)


def product_patches(
    product_tif: str | Path,
    labels: gpd.GeoDataFrame,
    *,
    channels: Sequence[str],
    patch_px: int,
    stride_px: int,
    min_valid_fraction: float,
) -> tuple[NDArray[np.float32], NDArray[np.uint8], NDArray[np.bool_], NDArray[np.int64], NDArray[np.float64]]:
    """Every patch of one labelled product: inputs, labels, valid masks, origins, hardness."""
    bands, grid, _ = read_bands(product_tif, required=("wrapped_phase", "coherence"))
    stack, valid = product_channels(bands["wrapped_phase"], bands["coherence"], channels)
    difficulty = hardness_map(bands["wrapped_phase"], bands["coherence"])
    label = rasterise_labels(labels, grid) * valid
    origins = patch_origins(grid.shape, patch_px, stride_px)
    windows = [(slice(r, r + patch_px), slice(c, c + patch_px)) for r, c in origins]
    keep = np.array([valid[w].mean() >= min_valid_fraction for w in windows], dtype=bool)
    kept = [w for w, k in zip(windows, keep, strict=True) if k]
    inputs = np.stack([stack[(slice(None), *w)] for w in kept])
    score = np.array([difficulty[w].mean() for w in kept])
    return (
        inputs,
        np.stack([label[w] for w in kept]).astype(np.uint8),
        np.stack([valid[w] for w in kept]),
        origins[keep],
        score,
    )


def select_patches(
    labels: NDArray[np.uint8],
    hardness_score: NDArray[np.float64],
    *,
    negative_share: float,
    hard_negative_share: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Indices and kinds of the sampled patches: every positive patch (at least one labelled
    pixel), the hardest unlabelled ones and a random share of the other unlabelled ones."""
    positive = np.flatnonzero(labels.reshape(len(labels), -1).any(axis=1))
    unlabelled = np.setdiff1d(np.arange(len(labels)), positive)
    n_hard = min(len(unlabelled), int(round(hard_negative_share * len(positive))))
    hard = unlabelled[np.argsort(-hardness_score[unlabelled], kind="stable")[:n_hard]]
    rest = np.setdiff1d(unlabelled, hard)
    n_random = min(len(rest), int(round(negative_share * len(positive))))
    random_negative = np.sort(rng.choice(rest, size=n_random, replace=False)) if n_random else rest[:0]
    index = np.concatenate([positive, random_negative, hard])
    kinds = np.concatenate(
        [np.zeros(len(positive)), np.ones(len(random_negative)), np.full(len(hard), 2)]
    ).astype(np.int64)
    return index, kinds


def assign_folds(
    area_ids: NDArray[np.int64],
    origins: NDArray[np.int64],
    *,
    patch_px: int,
    block_px: int,
    n_folds: int,
    seed: int,
) -> NDArray[np.int64]:
    """Fold of each patch: the ground block of its centre, blocks shuffled into folds by seed.

    Patches of the same area (all pairs of one scene share the ground) and block share a fold.
    """
    centre = origins + patch_px // 2
    blocks = np.column_stack([area_ids, centre // block_px])
    unique, inverse = np.unique(blocks, axis=0, return_inverse=True)
    order = np.random.default_rng(seed).permutation(len(unique))
    fold_of_block = np.empty(len(unique), dtype=np.int64)
    fold_of_block[order] = np.arange(len(unique)) % n_folds
    return fold_of_block[inverse.ravel()]


def fold_split(
    folds: NDArray[np.int64],
    area_ids: NDArray[np.int64],
    origins: NDArray[np.int64],
    fold: int,
    *,
    patch_px: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Training and validation indices of one fold.

    Validation: the fold's patches. Training: the other folds' patches that share no pixel
    with any validation patch of the same area, so no ground is seen in both.
    """
    validation = np.flatnonzero(folds == fold)
    others = np.flatnonzero(folds != fold)
    overlaps = np.zeros(len(others), dtype=bool)
    for area in np.unique(area_ids[validation]):
        val_area = validation[area_ids[validation] == area]
        covered = _footprint(origins[val_area], patch_px)
        in_area = area_ids[others] == area
        for k in np.flatnonzero(in_area):
            r, c = origins[others[k]]
            overlaps[k] = covered[r : r + patch_px, c : c + patch_px].any()
    return others[~overlaps], validation


def _footprint(origins: NDArray[np.int64], patch_px: int) -> NDArray[np.bool_]:
    shape = origins.max(axis=0) + patch_px if len(origins) else np.array([patch_px, patch_px])
    covered = np.zeros(shape + patch_px, dtype=bool)
    for r, c in origins:
        covered[r : r + patch_px, c : c + patch_px] = True
    return covered


@dataclasses.dataclass(frozen=True)
class LabelledProduct:
    """A training source: an interferogram product, its label polygons, the ground area it shows."""

    product: Path
    labels: gpd.GeoDataFrame
    area: str


def build_patch_set(
    sources: Sequence[LabelledProduct],
    *,
    channels: Sequence[str],
    patch_px: int,
    stride_px: int,
    min_valid_fraction: float,
    negative_share: float,
    hard_negative_share: float,
    seed: int,
) -> PatchSet:
    """Sample the training patches of every labelled product (see :func:`select_patches`)."""
    rng = np.random.default_rng(seed)
    areas = sorted({source.area for source in sources})
    parts = []
    for source in sources:
        inputs, labels, valid, origins, score = product_patches(
            source.product,
            source.labels,
            channels=channels,
            patch_px=patch_px,
            stride_px=stride_px,
            min_valid_fraction=min_valid_fraction,
        )
        index, kinds = select_patches(
            labels, score, negative_share=negative_share, hard_negative_share=hard_negative_share, rng=rng
        )
        parts.append(
            PatchSet(
                inputs[index],
                labels[index],
                valid[index],
                np.full(len(index), areas.index(source.area), dtype=np.int64),
                origins[index],
                kinds,
                [str(source.product)] * len(index),
            )
        )
    if not parts or sum(len(p) for p in parts) == 0:
        raise InputError("no training patches: the labelled products hold no labelled pixel")
    return PatchSet(
        np.concatenate([p.inputs for p in parts]),
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.valid for p in parts]),
        np.concatenate([p.area_ids for p in parts]),
        np.concatenate([p.origins for p in parts]),
        np.concatenate([p.kinds for p in parts]),
        [s for p in parts for s in p.sources],
    )
