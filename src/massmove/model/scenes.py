"""Training data of the ensemble: labelled products, how patches are sampled, fold indices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from massmove.detect.channels import needs_sibling
from massmove.errors import ConfigError, InputError
from massmove.io.labels import read_labels
from massmove.io.raster_io import read_grid
from massmove.model.patches import (
    HardnessRule,
    LabelledProduct,
    PatchSet,
    SamplingRule,
    assign_folds,
    concatenate,
    fold_split,
)
from massmove.pairs import sibling_product
from massmove.settings import StageSettings


def labelled_sources(
    scene_dirs: Sequence[str | Path],
    entries: Sequence[Mapping[str, Any]],
    *,
    label_class: str,
    ignore_class: str | None,
    base_dir: str | Path = ".",
    siblings: bool = False,
) -> list[LabelledProduct]:
    """Labelled products of synthetic scenes (``interferograms/``, ``truth/``) and of
    ``entries`` (``interferogram``, ``labels``, ``class_column``, relative to ``base_dir``);
    polygons of ``ignore_class`` (the truth's faint patterns) are kept apart. With
    ``siblings``, each product carries its same-track sibling's product, found beside it by
    pair id (:func:`massmove.pairs.sibling_product`)."""
    sources = []

    def labelled(product: Path, labels_path: Path, class_column: str | None, area: str) -> LabelledProduct:
        labels = read_labels(labels_path, label_class=label_class, class_column=class_column)
        ignore = None
        if ignore_class is not None and class_column is not None:
            ignore = read_labels(labels_path, label_class=ignore_class, class_column=class_column)
        sibling = sibling_product(product) if siblings else None
        return LabelledProduct(product, labels, area=area, ignore=ignore, sibling=sibling)

    for scene_dir in map(Path, scene_dirs):
        products = sorted((scene_dir / "interferograms").glob("*.tif"))
        if not products:
            raise InputError(f"{scene_dir}: no interferograms/*.tif (not a synthetic scene)")
        for product in products:
            truth = scene_dir / "truth" / f"{product.stem}.gpkg"
            sources.append(labelled(product, truth, "class", scene_dir.name))
    for entry in entries:
        product = Path(base_dir) / entry["interferogram"]
        grid = read_grid(product)
        # products on one grid show one ground area: their patches share folds
        area = f"{grid.crs}:{grid.bounds}"
        sources.append(labelled(product, Path(base_dir) / entry["labels"], entry["class_column"], area))
    return sources


def training_sources(
    config: StageSettings, scene_dirs: Sequence[str | Path], base_dir: str | Path = "."
) -> list[LabelledProduct]:
    """Labelled products of the training scenes and of ``train.labelled``; polygons of
    ``train.ignore_class`` (the truth's faint patterns) are left out of the loss."""
    train = config["train"]
    sources = labelled_sources(
        scene_dirs,
        train["labelled"],
        label_class=train["label_class"],
        ignore_class=train["ignore_class"],
        base_dir=base_dir,
        siblings=needs_sibling(config["model"]["channels"]),
    )
    if not sources:
        raise ConfigError(
            "config key 'train.labelled': nothing to train on; give labelled interferograms, "
            "synthetic training seeds, or a trained ensemble in model.checkpoints"
        )
    return sources


def calibration_sources(
    config: StageSettings, scene_dirs: Sequence[str | Path], base_dir: str | Path = "."
) -> list[LabelledProduct]:
    """Labelled products the detection settings are calibrated on: the calibration scenes and
    ``train.calibration.labelled`` (possibly none: the fallback is then kept)."""
    train = config["train"]
    return labelled_sources(
        scene_dirs,
        train["calibration"]["labelled"],
        label_class=train["label_class"],
        ignore_class=None,
        base_dir=base_dir,
        siblings=needs_sibling(config["model"]["channels"]),
    )


def sampling_rule(config: StageSettings) -> SamplingRule:
    """How training patches are sampled, from the ``train`` and ``model`` sections."""
    train, model = config["train"], config["model"]
    return SamplingRule(
        channels=tuple(model["channels"]),
        patch_px=train["patch_px"],
        stride_px=train["stride_px"],
        min_valid_fraction=train["min_valid_fraction"],
        negative_share=train["negative_share"],
        hard_negative_share=train["hard_negative_share"],
        hardness=HardnessRule(
            window_px=model["baseline"]["window_px"], min_coherence=model["baseline"]["min_coherence"]
        ),
    )


def fold_data(
    patches: PatchSet, tiles: PatchSet, fold: int, *, n_folds: int, patch_px: int, block_px: int, seed: int
) -> dict[str, NDArray[np.int64]]:
    """Indices of one fold: training and validation patches, the unlabelled tiles of its
    training ground (where it mines false positives) and the tiles of its validation ground
    (its out-of-fold predictions). Patches and tiles share the folds of their ground blocks;
    nothing that overlaps the fold's validation ground is trained on."""
    both = concatenate([patches, tiles])
    # folds balanced by training patches, then the ground of tiles alone by tiles
    sampled = np.concatenate([np.ones(len(patches), bool), np.zeros(len(tiles), bool)])
    folds = assign_folds(
        both.area_ids,
        both.origins,
        patch_px=patch_px,
        block_px=block_px,
        n_folds=n_folds,
        seed=seed,
        sampled=sampled,
    )
    train_index, validation_index = fold_split(folds, both.area_ids, both.origins, fold, patch_px=patch_px)
    n = len(patches)
    candidates = train_index[train_index >= n] - n
    unlabelled = ~tiles.labels[candidates].any(axis=(1, 2))
    return {
        "train": train_index[train_index < n],
        "validation": validation_index[validation_index < n],
        "mining_candidates": candidates[unlabelled],
        "out_of_fold": validation_index[validation_index >= n] - n,
    }
