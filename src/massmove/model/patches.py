"""Patch datasets for training: labels rasterised on the product grid, positive, random
negative and hard negative patches, the pool of tiles a member mines its own false positives
from, and folds split by ground area."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from massmove.detect.channels import product_channels
from massmove.errors import InputError
from massmove.grid import Grid
from massmove.insar.fringes import fringe_excess
from massmove.io.labels import rasterise_labels
from massmove.io.raster_io import read_bands

KINDS = ("positive", "negative", "hard_negative", "mined")
#: pixels around a pattern left out of the loss (neither pattern nor background) are grown by this
IGNORE_MARGIN_PX = 2


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
    # (n, 2) row, col inside the patch of the spot a crop must hold: a hard negative's strongest
    # fringe-rate excess, a mined tile's surest false alarm; -1 where none (positives are cropped
    # on their labels, random negatives anywhere)
    focus: NDArray[np.int64] = dataclasses.field(default_factory=lambda: np.zeros((0, 2), np.int64))

    def __post_init__(self) -> None:
        if len(self.focus) == 0 and len(self.labels):
            self.focus = np.full((len(self.labels), 2), -1, dtype=np.int64)
        elif len(self.focus) != len(self.labels):
            raise ValueError(f"{len(self.focus)} focus pixels for {len(self.labels)} patches")

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
            self.focus[index],
        )

    def digest(self) -> str:
        """sha256 of inputs, labels and positions (identifies the training data)."""
        sha = hashlib.sha256()
        arrays = (self.inputs, self.labels, self.valid, self.area_ids, self.origins, self.kinds, self.focus)
        for array in arrays:
            sha.update(np.ascontiguousarray(array).tobytes())
        return sha.hexdigest()


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


@dataclasses.dataclass(frozen=True)
class HardnessRule:
    """How unlabelled patches are ranked as hard negatives: the largest local fringe-rate
    excess where the phase is readable (what a detector confuses with motion: coherent
    atmospheric and topographic fringes), as the classical baseline measures it."""

    window_px: int
    min_coherence: float
    min_readable_share: float = 0.25


def hardness_score(
    patch_phase: NDArray, patch_coherence: NDArray, valid: NDArray, rule: HardnessRule
) -> float:
    """Hard-negative score of one patch: the 99th percentile of its fringe-rate excess over its
    readable pixels (radians per pixel); 0 when less than ``min_readable_share`` is readable.

    Decorrelated ground (forest, layover, shadow) scores 0: the coherence channel alone
    rejects it, so it teaches nothing.
    """
    return hard_spot(patch_phase, patch_coherence, valid, rule)[0]


def hard_spot(
    patch_phase: NDArray, patch_coherence: NDArray, valid: NDArray, rule: HardnessRule
) -> tuple[float, tuple[int, int]]:
    """Hard-negative score of one patch (:func:`hardness_score`) and where it is hardest: the
    readable pixel of the largest fringe-rate excess, (-1, -1) when the patch scores 0."""
    phasor = np.exp(1j * np.nan_to_num(np.asarray(patch_phase, dtype=np.float64)))
    coherence = np.nan_to_num(np.asarray(patch_coherence, dtype=np.float64))
    excess, readable = fringe_excess(
        phasor, coherence, valid, window_px=rule.window_px, min_coherence=rule.min_coherence
    )
    if readable.mean() < rule.min_readable_share:
        return 0.0, (-1, -1)
    row, col = np.unravel_index(int(np.argmax(np.where(readable, excess, -np.inf))), excess.shape)
    return float(np.percentile(excess[readable], 99)), (int(row), int(col))


@dataclasses.dataclass
class ProductPatches:
    """Every patch of one labelled product, with what sampling needs."""

    inputs: NDArray[np.float32]
    labels: NDArray[np.uint8]
    valid: NDArray[np.bool_]
    origins: NDArray[np.int64]
    hardness: NDArray[np.float64]
    hard_spots: NDArray[np.int64]  # (n, 2) row, col of each patch's hardest pixel, -1 if none


def product_patches(
    product_tif: str | Path,
    labels: gpd.GeoDataFrame,
    *,
    ignore: gpd.GeoDataFrame | None = None,
    channels: Sequence[str],
    patch_px: int,
    stride_px: int,
    min_valid_fraction: float,
    hardness: HardnessRule,
    sibling_tif: str | Path | None = None,
) -> ProductPatches:
    """Every patch of one labelled product: inputs, labels, valid masks, origins, hardness.

    Pixels of ``ignore`` polygons (patterns that show but are not labelled, the truth's
    ``faint``), grown by ``IGNORE_MARGIN_PX``, are not valid: they are left out of the loss.
    ``sibling_tif`` is the pair's sibling on the same grid, read for ``sibling_*`` channels.
    """
    bands, grid, _ = read_bands(product_tif, required=("wrapped_phase", "coherence"))
    stack, valid = product_channels(
        bands["wrapped_phase"], bands["coherence"], channels, sibling=sibling_bands(sibling_tif, grid)
    )
    label = rasterise_labels(labels, grid) * valid
    trained = valid.copy()
    if ignore is not None and not ignore.empty:
        ignored = ndimage.binary_dilation(
            rasterise_labels(ignore, grid).astype(bool), iterations=IGNORE_MARGIN_PX
        )
        trained &= ~(ignored & (label == 0))
    origins = patch_origins(grid.shape, patch_px, stride_px)
    windows = [(slice(r, r + patch_px), slice(c, c + patch_px)) for r, c in origins]
    keep = np.array([valid[w].mean() >= min_valid_fraction for w in windows], dtype=bool)
    kept = [w for w, k in zip(windows, keep, strict=True) if k]
    # the hardest spot among the pixels the loss sees (a faint pattern's fringes are no clutter)
    spots = [hard_spot(bands["wrapped_phase"][w], bands["coherence"][w], trained[w], hardness) for w in kept]
    return ProductPatches(
        np.stack([stack[(slice(None), *w)] for w in kept]),
        np.stack([label[w] for w in kept]).astype(np.uint8),
        np.stack([trained[w] for w in kept]),
        origins[keep],
        np.array([score for score, _ in spots], dtype=np.float64),
        np.array([spot for _, spot in spots], dtype=np.int64).reshape(-1, 2),
    )


def sibling_bands(sibling_tif: str | Path | None, grid: Grid) -> tuple[NDArray, NDArray] | None:
    """The (wrapped phase, coherence) of a pair's sibling product, which must share ``grid``;
    None without one."""
    if sibling_tif is None:
        return None
    bands, sibling_grid, _ = read_bands(sibling_tif, required=("wrapped_phase", "coherence"))
    if sibling_grid != grid:
        raise InputError(f"{sibling_tif}: the sibling's grid {sibling_grid} is not the pair's {grid}")
    return bands["wrapped_phase"], bands["coherence"]


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


def tile_indices(origins: NDArray[np.int64], patch_px: int) -> NDArray[np.int64]:
    """Indices of the patches that tile a product without overlap (origins on multiples of
    ``patch_px``): the whole scene, for out-of-fold predictions and for mining false positives."""
    return np.flatnonzero(np.all(origins % patch_px == 0, axis=1))


def assign_folds(
    area_ids: NDArray[np.int64],
    origins: NDArray[np.int64],
    *,
    patch_px: int,
    block_px: int,
    n_folds: int,
    seed: int,
    sampled: NDArray[np.bool_] | None = None,
) -> NDArray[np.int64]:
    """Fold of each patch: the ground block of its centre; blocks dealt to folds so that the
    folds hold about the same number of training patches, and of tiles.

    Patches of the same area (all pairs of one scene share the ground) and block share a fold.
    ``sampled`` marks the training patches (all by default); the rest are tiles (the ground a
    member mines and predicts out of fold). Blocks holding training patches are taken in a
    seeded random order, most patches first, each to the fold with the fewest patches so far;
    then the blocks of tiles alone, most tiles first, each to the fold with the fewest tiles (ties:
    the lowest fold). A few heavy blocks no longer leave one member with half the training data
    of another, nor one member with most of the empty ground.

    Examples
    --------
    >>> origins = np.array([[0, 0]] * 6 + [[0, 256]] * 2 + [[256, 0]] * 2 + [[256, 256]] * 2)
    >>> folds = assign_folds(np.zeros(12, np.int64), origins, patch_px=128, block_px=256, n_folds=2, seed=1)
    >>> sorted(np.bincount(folds).tolist())
    [6, 6]
    """
    centre = origins + patch_px // 2
    blocks = np.column_stack([area_ids, centre // block_px])
    unique, inverse = np.unique(blocks, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    is_patch = np.ones(len(area_ids), bool) if sampled is None else np.asarray(sampled, dtype=bool)
    patches_in = np.bincount(inverse, weights=is_patch, minlength=len(unique))
    tiles_in = np.bincount(inverse, weights=~is_patch, minlength=len(unique))
    shuffled = np.random.default_rng(seed).permutation(len(unique))
    fold_of_block = np.empty(len(unique), dtype=np.int64)
    patch_load, tile_load = np.zeros(n_folds), np.zeros(n_folds)
    with_patches = shuffled[patches_in[shuffled] > 0]
    for block in with_patches[np.argsort(-patches_in[with_patches], kind="stable")]:
        fold = int(np.argmin(patch_load))
        fold_of_block[block] = fold
        patch_load[fold] += patches_in[block]
        tile_load[fold] += tiles_in[block]
    tiles_only = shuffled[patches_in[shuffled] == 0]
    for block in tiles_only[np.argsort(-tiles_in[tiles_only], kind="stable")]:
        fold = int(np.argmin(tile_load))
        fold_of_block[block] = fold
        tile_load[fold] += tiles_in[block]
    return fold_of_block[inverse]


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
    """A training source: an interferogram product, its label polygons, the polygons left out
    of the loss (shown but not labelled), the ground area it shows."""

    product: Path
    labels: gpd.GeoDataFrame
    area: str
    ignore: gpd.GeoDataFrame | None = None
    sibling: Path | None = None  # the pair's same-track sibling, for sibling_* channels


@dataclasses.dataclass(frozen=True)
class SamplingRule:
    """Which patches of the labelled products are sampled (see :func:`select_patches`)."""

    channels: tuple[str, ...]
    patch_px: int
    stride_px: int
    min_valid_fraction: float
    negative_share: float
    hard_negative_share: float
    hardness: HardnessRule


def build_patch_set(
    sources: Sequence[LabelledProduct], rule: SamplingRule, *, seed: int
) -> tuple[PatchSet, PatchSet]:
    """The sampled training patches of every labelled product (:func:`select_patches`), and
    the tiles of every product (:func:`tile_indices`, kind ``negative`` or ``positive``)."""
    rng = np.random.default_rng(seed)
    areas = sorted({source.area for source in sources})
    sampled: list[PatchSet] = []
    tiles: list[PatchSet] = []
    for source in sources:
        patches = product_patches(
            source.product,
            source.labels,
            ignore=source.ignore,
            channels=rule.channels,
            patch_px=rule.patch_px,
            stride_px=rule.stride_px,
            min_valid_fraction=rule.min_valid_fraction,
            hardness=rule.hardness,
            sibling_tif=source.sibling,
        )
        index, kinds = select_patches(
            patches.labels,
            patches.hardness,
            negative_share=rule.negative_share,
            hard_negative_share=rule.hard_negative_share,
            rng=rng,
        )
        tile = tile_indices(patches.origins, rule.patch_px)
        tile_kinds = np.where(patches.labels[tile].any(axis=(1, 2)), 0, 1)
        area_id = areas.index(source.area)
        # a hard negative's crop holds its hardest spot; other patches have none
        focus = np.where((kinds == KINDS.index("hard_negative"))[:, None], patches.hard_spots[index], -1)
        for collected, chosen, chosen_kinds, chosen_focus in (
            (sampled, index, kinds, focus),
            (tiles, tile, tile_kinds, np.full((len(tile), 2), -1)),
        ):
            collected.append(
                PatchSet(
                    patches.inputs[chosen],
                    patches.labels[chosen],
                    patches.valid[chosen],
                    np.full(len(chosen), area_id, dtype=np.int64),
                    patches.origins[chosen],
                    np.asarray(chosen_kinds, dtype=np.int64),
                    [str(source.product)] * len(chosen),
                    np.asarray(chosen_focus, dtype=np.int64),
                )
            )
    if not sampled or not any(len(p) for p in sampled):
        raise InputError("no training patches: the labelled products hold no labelled pixel")
    return concatenate(sampled), concatenate(tiles)


def concatenate(parts: Sequence[PatchSet]) -> PatchSet:
    """One patch set of several, in order."""
    return PatchSet(
        np.concatenate([p.inputs for p in parts]),
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.valid for p in parts]),
        np.concatenate([p.area_ids for p in parts]),
        np.concatenate([p.origins for p in parts]),
        np.concatenate([p.kinds for p in parts]),
        [name for p in parts for name in p.sources],
        np.concatenate([p.focus for p in parts]),
    )
