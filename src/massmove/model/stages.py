"""Workflow stages of the ensemble: training scenes, training of one member, segmentation."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from massmove import __version__
from massmove.config import config_digest, deep_merge, primary_detector
from massmove.errors import ConfigError, InputError
from massmove.io.atomic import atomic_path
from massmove.io.detection import resolve_detection
from massmove.io.labels import read_labels
from massmove.io.raster_io import read_grid
from massmove.model.channels import normalisation_of
from massmove.model.checkpoint import OOF_FILE, save_member
from massmove.model.network import dtype_name, network_settings
from massmove.model.patches import (
    KINDS,
    HardnessRule,
    LabelledProduct,
    PatchSet,
    SamplingRule,
    assign_folds,
    build_patch_set,
    concatenate,
    fold_split,
)
from massmove.model.train import TrainSettings, train_member

log = logging.getLogger(__name__)


def training_scene_config(config: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The config of a synthetic training scene: the detection scene's, with another ground seed."""
    if seed == config["synthetic"]["seed"]:
        raise ConfigError(
            f"config key 'train.synthetic_seeds': {seed} is the detection scene's synthetic.seed; "
            "training scenes must show other ground"
        )
    return deep_merge(config, {"synthetic": {"seed": seed}})


def training_scene_stage(config: Mapping[str, Any], seed: int, scene_dir: str | Path) -> None:
    """Simulate a labelled training scene with the same rules and code as the detection scene:
    ground, SLCs, truth and built-in interferograms; keep ``interferograms/{pair}.tif`` and
    ``truth/{pair}.gpkg`` (the SLCs are intermediate and removed)."""
    from massmove.pairs import synthetic_acquisitions, synthetic_pairs
    from massmove.stages import (
        interferogram_stage,
        simulate_acquisition_stage,
        simulate_ground_stage,
        simulate_truth_stage,
    )

    scene_config = training_scene_config(config, seed)
    with atomic_path(scene_dir, directory=True) as tmp:
        work = tmp / "work"
        ground, dem = work / "ground.zarr", work / "dem.tif"
        simulate_ground_stage(scene_config, ground, dem, tmp / "truth" / "movements.gpkg")
        acquisitions = [
            a for track in scene_config["tracks"] for a in synthetic_acquisitions(scene_config, track)
        ]
        for acquisition in acquisitions:
            log.info("training scene %d: SLC %s", seed, acquisition.scene_id)
            simulate_acquisition_stage(
                scene_config, ground, acquisition.scene_id, work / f"{acquisition.scene_id}.zarr"
            )
        for pair in synthetic_pairs(scene_config):
            log.info("training scene %d: pair %s", seed, pair.pair_id)
            simulate_truth_stage(
                scene_config,
                ground,
                dem,
                pair.pair_id,
                tmp / "truth" / f"{pair.pair_id}.gpkg",
                work / f"{pair.pair_id}_truth_phase.tif",
            )
            interferogram_stage(
                scene_config,
                pair.pair_id,
                work / f"{pair.reference.scene_id}.zarr",
                work / f"{pair.secondary.scene_id}.zarr",
                dem,
                tmp / "interferograms" / f"{pair.pair_id}.tif",
            )
        shutil.rmtree(work)


def training_sources(
    config: Mapping[str, Any], scene_dirs: Sequence[str | Path], base_dir: str | Path = "."
) -> list[LabelledProduct]:
    """Labelled products of the training scenes and of ``train.labelled``; polygons of
    ``train.ignore_class`` (the truth's faint patterns) are left out of the loss."""
    label_class, ignore_class = config["train"]["label_class"], config["train"]["ignore_class"]
    sources = []

    def labelled(product: Path, labels_path: Path, class_column: str | None, area: str) -> LabelledProduct:
        labels = read_labels(labels_path, label_class=label_class, class_column=class_column)
        ignore = None
        if ignore_class is not None and class_column is not None:
            ignore = read_labels(labels_path, label_class=ignore_class, class_column=class_column)
        return LabelledProduct(product, labels, area=area, ignore=ignore)

    for scene_dir in map(Path, scene_dirs):
        products = sorted((scene_dir / "interferograms").glob("*.tif"))
        if not products:
            raise InputError(f"{scene_dir}: no interferograms/*.tif (not a training scene)")
        for product in products:
            truth = scene_dir / "truth" / f"{product.stem}.gpkg"
            sources.append(labelled(product, truth, "class", scene_dir.name))
    for entry in config["train"]["labelled"]:
        product = Path(base_dir) / entry["interferogram"]
        grid = read_grid(product)
        # products on one grid show one ground area: their patches share folds
        area = f"{grid.crs}:{grid.bounds}"
        sources.append(labelled(product, Path(base_dir) / entry["labels"], entry["class_column"], area))
    if not sources:
        raise ConfigError(
            "config key 'train.labelled': nothing to train on; give labelled interferograms, "
            "synthetic training seeds, or a trained ensemble in model.checkpoints"
        )
    return sources


def sampling_rule(config: Mapping[str, Any]) -> SamplingRule:
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
    folds = assign_folds(
        both.area_ids, both.origins, patch_px=patch_px, block_px=block_px, n_folds=n_folds, seed=seed
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


def train_stage(
    config: Mapping[str, Any],
    fold: int,
    scene_dirs: Sequence[str | Path],
    member_dir: str | Path,
    *,
    base_dir: str | Path = ".",
) -> None:
    """Train ensemble member ``fold`` (of ``model.ensemble_size``) and save it with its
    out-of-fold likelihood, with ``train.torch_threads`` intra-op threads (not the rule's:
    results must not depend on them)."""
    train, model = config["train"], config["model"]
    n_folds = model["ensemble_size"]
    if not 0 <= fold < n_folds:
        raise ConfigError(f"fold {fold}: model.ensemble_size is {n_folds}")
    torch.set_num_threads(train["torch_threads"])
    sources = training_sources(config, scene_dirs, base_dir)
    patches, tiles = build_patch_set(sources, sampling_rule(config), seed=train["seed"])
    index = fold_data(
        patches,
        tiles,
        fold,
        n_folds=n_folds,
        patch_px=train["patch_px"],
        block_px=train["fold_block_px"],
        seed=train["seed"],
    )
    if len(index["train"]) == 0 or len(index["validation"]) == 0:
        raise InputError(
            f"fold {fold}: {len(index['train'])} training and {len(index['validation'])} validation patches; "
            "more labelled data or a smaller train.fold_block_px is needed"
        )
    if len(index["validation"]) > train["validation_patches"]:
        chosen = np.random.default_rng([train["seed"], fold]).choice(
            index["validation"], size=train["validation_patches"], replace=False
        )
        index["validation"] = np.sort(chosen)
    kinds = np.bincount(patches.kinds, minlength=len(KINDS))
    log.info(
        "fold %d: %d patches (%d positive, %d random negative, %d hard negative); %d train, %d validation; "
        "%d tiles to mine, %d out-of-fold tiles",
        *(fold, len(patches), *kinds[:3].tolist(), len(index["train"]), len(index["validation"])),
        *(len(index["mining_candidates"]), len(index["out_of_fold"])),
    )
    network_kwargs = network_settings(model)
    network, record, oof = train_member(
        patches,
        tiles,
        index["train"],
        index["validation"],
        index["mining_candidates"],
        index["out_of_fold"],
        network_kwargs=network_kwargs,
        channels=model["channels"],
        settings=TrainSettings.from_config(train),
        seed=train["seed"] * 1000 + fold,
        device_name=model["device"],
    )
    areas = sorted({source.area for source in sources})
    validation_blocks = sorted(
        {
            (areas[int(a)], *(int(v) for v in (o + train["patch_px"] // 2) // train["fold_block_px"]))
            for a, o in zip(
                patches.area_ids[index["validation"]], patches.origins[index["validation"]], strict=True
            )
        }
    )
    oof_tiles = [[tiles.sources[i], *map(int, tiles.origins[i])] for i in index["out_of_fold"]]
    metadata = {
        **network_kwargs,
        "channels": list(model["channels"]),
        "normalisation": normalisation_of(model["channels"]),
        "patch_px": train["patch_px"],
        "fold": fold,
        "n_folds": n_folds,
        "fold_block_px": train["fold_block_px"],
        "validation_blocks": [list(b) for b in validation_blocks],
        "training_products": sorted({str(s.product) for s in sources}),
        "data_digest": patches.digest(),
        "seed": train["seed"],
        "train": dict(train),
        "config_digest": config_digest(config),
        "massmove_version": __version__,
        "torch_version": torch.__version__,
        "out_of_fold": {"file": OOF_FILE, "tiles": oof_tiles},
        **record,
    }
    save_member(network, member_dir, metadata, extra_arrays={OOF_FILE: oof})


def segment_stage(
    config: Mapping[str, Any],
    product_tif: str | Path,
    member_dirs: Sequence[str | Path],
    likelihood_tif: str | Path,
    *,
    threads: int = 1,
    detector: str | None = None,
) -> None:
    """Segment one interferogram; write the likelihood COG.

    ``detector`` is ``"ensemble"`` (the members in ``member_dirs``), ``"baseline"`` (the
    classical rules of ``model.baseline``, :mod:`massmove.detect.baseline`) or ``None``: the
    one ``model.architecture`` names. Both run through the same tiling and blending."""
    from massmove.detect.baseline import BaselineDetector
    from massmove.model.infer import inference_workers, likelihood_array, load_ensemble, write_likelihood

    segment = config["segment"]
    detector = detector or primary_detector(config)
    if detector == "baseline":
        model: Any = BaselineDetector.from_config(config)
        identity = {"detector": "baseline", **{k: str(v) for k, v in config["model"]["baseline"].items()}}
    else:
        model = load_ensemble(
            member_dirs,
            channels=config["model"]["channels"],
            patch_px=config["train"]["patch_px"],
            device_name=config["model"]["device"],
            precision=segment["precision"],
        )
        identity = {
            "detector": "ensemble",
            "members": len(model.members),
            "checkpoint_digests": ",".join(r["weights_sha256"] for r in model.records),
        }
    calibrated = None
    if detector != "baseline":
        calibrations = [record.get("detection") for record in model.records]
        calibrated = calibrations[0]
        if any(c != calibrated for c in calibrations):
            log.warning("members carry different calibrations; the first member's is used")
    settings = resolve_detection(config["detection"], calibrated)
    log.info(
        "detection threshold %.3f, smallest polygon %.0f m2 (%s)",
        settings.threshold,
        settings.min_area_m2,
        settings.source,
    )
    workers = inference_workers(model, threads)
    likelihood, profile = likelihood_array(
        product_tif,
        model,
        chunk_px=segment["chunk_px"],
        stride_px=segment["stride_px"],
        batch_size=segment["batch_size"],
    )
    tags = {
        key: value
        for key, value in profile["tags"].items()
        if key in ("pair_id", "track", "direction", "reference", "secondary", "baseline_days")
    }
    tags.update(
        {
            "product": Path(product_tif).name,
            **identity,
            **settings.tags(),
            "device": str(model.device),
            "precision": dtype_name(model.dtype),
            "config_digest": config_digest(config),
            "massmove_version": __version__,
        }
    )
    log.info(
        "%s: %s (%d members) on %s (%s), chunks %d px",
        *(product_tif, detector, len(model.members), model.device, tags["precision"], segment["chunk_px"]),
    )
    if segment["scheduler"] != "threads":
        log.info("blocks computed by the dask scheduler at %s", segment["scheduler"])
    write_likelihood(
        likelihood, profile, likelihood_tif, tags, workers=workers, scheduler=segment["scheduler"]
    )
