"""Stages of the ensemble's rules: training scenes, training of one member, calibration of the
ensemble's detection settings, segmentation by either detector."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from massmove import __version__
from massmove.config import config_digest
from massmove.detect.channels import normalisation_of
from massmove.detect.detector import Detector
from massmove.errors import ConfigError, InputError
from massmove.evaluate.calibration import calibration_table, choose_detection, pool_tables
from massmove.io.atomic import atomic_path, write_json
from massmove.io.detection import CALIBRATED, calibration_tags, peak_likelihood
from massmove.io.raster_io import product_posting_m, read_grid
from massmove.model.checkpoint import METADATA, OOF_FILE, read_metadata, save_member
from massmove.model.network import network_settings
from massmove.model.patches import KINDS, build_patch_set
from massmove.model.scenes import calibration_sources, fold_data, sampling_rule, training_sources
from massmove.model.train import ResumeFile, TrainSettings, train_member
from massmove.settings import StageSettings

log = logging.getLogger(__name__)


#: kinds whose density train.movement_density_factor multiplies in label-dense training scenes
DENSER_KINDS = ("landslides", "rock_glaciers")


def training_scene_config(
    config: StageSettings, seed: int, movement_density_factor: float = 1.0
) -> StageSettings:
    """The config of a synthetic training or calibration scene: the detection scene's, with
    another ground seed and, for label-dense training scenes, ``movement_density_factor`` times
    the density of :data:`DENSER_KINDS`."""
    if seed == config["synthetic"]["seed"]:
        raise ConfigError(
            f"config key 'train.synthetic_seeds': {seed} is the detection scene's synthetic.seed; "
            "training scenes must show other ground"
        )
    synthetic: dict[str, object] = {"seed": seed}
    if movement_density_factor != 1.0:
        for kind in DENSER_KINDS:
            density = config["synthetic"][kind]["density_per_km2"]
            synthetic[kind] = {"density_per_km2": density * movement_density_factor}
    return config.with_values({"synthetic": synthetic})


def training_scene_stage(
    config: StageSettings, seed: int, scene_dir: str | Path, *, movement_density_factor: float = 1.0
) -> None:
    """Simulate a labelled training (or calibration) scene with the detection scene's physics
    and truth rules (:func:`massmove.simulate.scene.write_labelled_scene`).
    ``movement_density_factor`` > 1 makes a label-dense training scene (more landslides and
    rock glaciers through the same chain; :func:`training_scene_config`)."""
    from massmove.simulate.scene import write_labelled_scene

    scene_config = training_scene_config(config, seed, movement_density_factor)
    log.info(
        "scene %d: %s generator, movement density x%g",
        seed,
        config["train"]["generator"],
        movement_density_factor,
    )
    with atomic_path(scene_dir, directory=True) as tmp:
        write_labelled_scene(scene_config, tmp)


def train_stage(
    config: StageSettings,
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
    seed = train["seed"] * 1000 + fold
    data_digest = patches.digest()
    resume = resume_file(
        member_dir,
        {
            "data": [data_digest, tiles.digest()],
            "index": {name: values.tolist() for name, values in sorted(index.items())},
            "train": dict(train),
            "network": network_kwargs,
            "channels": list(model["channels"]),
            "device": model["device"],
            "seed": seed,
            "versions": [__version__, torch.__version__],
        },
    )
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
        seed=seed,
        device_name=model["device"],
        resume=resume,
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
        # the coarsest posting the member learnt from (segment flags coarser inputs)
        "training_posting_m": round(max(product_posting_m(s.product) for s in sources), 3),
        "data_digest": data_digest,
        "seed": train["seed"],
        "train": dict(train),
        "settings_digest": config.digest,
        "massmove_version": __version__,
        "torch_version": torch.__version__,
        "out_of_fold": {"file": OOF_FILE, "tiles": oof_tiles},
        **record,
    }
    save_member(network, member_dir, metadata, extra_arrays={OOF_FILE: oof})
    resume.remove()


def resume_file(member_dir: str | Path, depends_on: dict[str, object]) -> ResumeFile:
    """The state file a member's training resumes from: hidden beside the member's directory
    (``.fold0.resume.pt``; a rule's output directory is removed when its job fails), keyed by
    the sha256 of what the training ``depends_on``."""
    member = Path(member_dir)
    return ResumeFile(member.with_name(f".{member.name}.resume.pt"), config_digest(depends_on))


def load_detector(config: StageSettings, detector: str, member_dirs: Sequence[str | Path]) -> Detector:
    """The detector a segment job runs: ``"ensemble"`` (the members in ``member_dirs``) or
    ``"baseline"`` (the classical rules of ``model.baseline``)."""
    from massmove.detect.baseline import BaselineDetector
    from massmove.model.ensemble import load_ensemble

    if detector == "baseline":
        return BaselineDetector.from_config(config)
    if detector == "ensemble":
        return load_ensemble(
            member_dirs,
            channels=config["model"]["channels"],
            patch_px=config["train"]["patch_px"],
            device_name=config["model"]["device"],
            precision=config["segment"]["precision"],
        )
    raise ConfigError(f"detector {detector!r}: expected 'ensemble' or 'baseline'")


def calibrate_stage(
    config: StageSettings,
    trained_dirs: Sequence[str | Path],
    scene_dirs: Sequence[str | Path],
    member_dirs: Sequence[str | Path],
    calibration_json: str | Path,
    *,
    threads: int = 1,
    base_dir: str | Path = ".",
) -> None:
    """Calibrate the detection settings on the ensemble as a run deploys it, and write the final
    members (the trained ones with ``detection`` in their ``massmove.json``) and the table.

    The trained members, loaded together, segment every calibration product (the scenes of
    ``train.calibration.synthetic_seeds``, ``train.calibration.labelled``) through the segment
    stage's tiling and blending with its settings; the mean likelihood is scored at every
    candidate (:func:`massmove.evaluate.calibration.calibration_table`) and the choice follows
    :func:`massmove.evaluate.calibration.choose_detection`."""
    from massmove.detect.tiling import inference_workers, likelihood_array, store_in_threads

    if len(trained_dirs) != len(member_dirs):
        raise InputError(f"{len(trained_dirs)} trained members for {len(member_dirs)} outputs")
    rules = config["train"]["calibration"]
    iou_threshold = config["evaluation"]["iou_threshold"]
    segment = config["segment"]
    sources = calibration_sources(config, scene_dirs, base_dir)
    ensemble = load_detector(config, "ensemble", trained_dirs)
    workers = inference_workers(ensemble, threads)
    tables, products = [], []
    for source in sources:
        lazy, _ = likelihood_array(
            source.product,
            ensemble,
            chunk_px=segment["chunk_px"],
            stride_px=segment["stride_px"],
            batch_size=segment["batch_size"],
            sibling_tif=source.sibling,
        )
        computed = np.full(lazy.shape, np.nan, dtype=np.float32)
        store_in_threads(lazy, computed, workers)
        mean = computed[0].copy()
        del computed, lazy  # one product's likelihood held at a time
        grid = read_grid(source.product)
        key = str(source.product)
        references = [g for g in source.labels.to_crs(grid.crs).geometry if g is not None]
        tables.append(
            calibration_table(
                {key: (mean, grid)},
                {key: references},
                thresholds=rules["thresholds"],
                min_areas_m2=rules["min_areas_m2"],
                iou_threshold=iou_threshold,
            )
        )
        peak = peak_likelihood(mean)
        products.append({"product": key, "references": len(references), "likelihood_max": peak})
        log.info("%s: %d reference patterns, mean likelihood up to %s", key, len(references), peak)
    table = pool_tables(tables) if tables else []
    detection = choose_detection(
        table,
        min_matched=rules["min_matched"],
        fallback=rules["fallback"],
        products=len(products),
        iou_threshold=iou_threshold,
    )
    # the ground the calibration saw: never a held-out or detection scene of these members
    detection["calibrated_on"]["scene_seeds"] = list(rules["synthetic_seeds"]) if scene_dirs else []
    detection["ensemble"] = {
        "members": len(trained_dirs),
        "device": str(ensemble.device),
        "precision": ensemble.precision,
    }
    if detection["basis"] == CALIBRATED:
        log.info(
            "calibrated: threshold %.2f, smallest polygon %.0f m2 (%s)",
            *(detection["threshold"], detection["min_area_m2"], detection["reason"]),
        )
    else:
        log.warning(
            "not calibrated, the fallback is kept: threshold %.2f, smallest polygon %.0f m2 (%s)",
            *(detection["threshold"], detection["min_area_m2"], detection["reason"]),
        )
    for trained, member in zip(map(Path, trained_dirs), map(Path, member_dirs), strict=True):
        record = read_metadata(trained)
        record.pop("out_of_fold", None)
        record["detection"] = detection
        with atomic_path(member, directory=True) as tmp:
            for name in sorted(p.name for p in trained.iterdir()):
                if name not in (METADATA, OOF_FILE):
                    shutil.copyfile(trained / name, tmp / name)
            (tmp / METADATA).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    write_json(calibration_json, {"chosen": detection, "products": products, "table": table}, indent=1)


# tags of an interferogram made elsewhere that the likelihood carries on (source files)
COARSE_INPUT_TAGS = ("native_posting_m", "posting_ratio", "coarser_than_posting")


def training_posting_tags(
    training_posting_m: float | None, product_tags: dict[str, str], grid_posting_m: float
) -> dict[str, object]:
    """Likelihood tags comparing the input's posting (the product's native posting where it
    was resampled, else its grid's) with the posting the detector was trained at; none when
    that is unknown (the baseline, members of earlier versions).

    Examples
    --------
    >>> training_posting_tags(12.5, {"native_posting_m": "40.0"}, 12.5)["training_posting_ratio"]
    3.2
    >>> training_posting_tags(None, {}, 12.5)
    {}
    """
    if training_posting_m is None:
        return {}
    input_m = max(float(product_tags.get("native_posting_m", grid_posting_m)), grid_posting_m)
    ratio = input_m / training_posting_m
    return {
        "input_posting_m": round(input_m, 3),
        "training_posting_m": training_posting_m,
        "training_posting_ratio": round(ratio, 3),
        "coarser_than_training": "yes" if ratio > 1 + 1e-6 else "no",
    }


def segment_stage(
    config: StageSettings,
    product_tif: str | Path,
    member_dirs: Sequence[str | Path],
    likelihood_tif: str | Path,
    *,
    detector: str,
    threads: int = 1,
    sibling_tif: str | Path | None = None,
) -> None:
    """Segment one interferogram with ``detector`` (see :func:`load_detector`); write the
    likelihood COG. Both detectors run through the same tiling and blending. Members trained
    on ``sibling_*`` channels also read ``sibling_tif``, the pair's same-track sibling."""
    from massmove.detect.tiling import inference_workers, likelihood_array, write_likelihood

    segment = config["segment"]
    model = load_detector(config, detector, member_dirs)
    calibrated = calibration_tags(model.calibrated_detection())
    if calibrated:
        log.info("the detector's calibrated detection settings: %s", calibrated)
    workers = inference_workers(model, threads)
    likelihood, profile = likelihood_array(
        product_tif,
        model,
        chunk_px=segment["chunk_px"],
        stride_px=segment["stride_px"],
        batch_size=segment["batch_size"],
        sibling_tif=sibling_tif,
    )
    tags = {
        key: value
        for key, value in profile["tags"].items()
        if key in ("pair_id", "track", "direction", "reference", "secondary", "baseline_days")
        or key in COARSE_INPUT_TAGS
    }
    tags.update(training_posting_tags(model.training_posting_m, tags, float(profile["transform"].a)))
    if tags.get("coarser_than_training") == "yes":
        log.warning(
            "%s: its input posting (%s m) is %s times coarser than the %s m the detector was trained "
            "at; detections are flagged in the report",
            *(
                product_tif,
                tags["input_posting_m"],
                tags["training_posting_ratio"],
                tags["training_posting_m"],
            ),
        )
    elif tags.get("coarser_than_posting") == "yes":
        log.warning(
            "%s: its input (%s m) is %s times coarser than the %s m grid the detector reads; "
            "detections are flagged in the report",
            product_tif,
            tags.get("native_posting_m"),
            tags.get("posting_ratio"),
            profile["transform"].a,
        )
    identity = model.identity()
    tags.update(
        {
            "product": Path(product_tif).name,
            **identity,
            **calibrated,
            "device": str(model.device),
            "precision": model.precision,
            "settings_digest": config.digest,
            "massmove_version": __version__,
        }
    )
    log.info(
        "%s: %s on %s (%s), chunks %d px",
        *(product_tif, identity, model.device, model.precision, segment["chunk_px"]),
    )
    if segment["scheduler"] != "threads":
        log.info("blocks computed by the dask scheduler at %s", segment["scheduler"])
    write_likelihood(
        likelihood, profile, likelihood_tif, tags, workers=workers, scheduler=segment["scheduler"]
    )
