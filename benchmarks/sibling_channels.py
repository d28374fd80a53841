"""The learned alternative to the support rule: members fed the pair and its same-track sibling.

Trains an ensemble exactly as the config's (``train`` and ``model`` sections, the same scenes,
seed and folds) but on six input channels: the pair's cosine and sine of the wrapped phase
and coherence, and the same of its sibling (the other pair of its track that shares its
reference acquisition: the default's 12-day pair for the 18-day one and back;
:func:`massmove.pairs.sibling_pair_id`). The members are calibrated as the workflow
calibrates (``train.calibration``), then segment and vectorise every pair of the held-out
scene directories that ``benchmarks/heldout_skill.py`` left, through the package's stages.
Each scene's six-channel products go to ``OUT/scenes/seed{seed}/`` beside links to the
scene's interferograms, truth and baseline, in the layout ``heldout_skill.py``'s scoring,
``support_rules.py`` and ``support_skill.py`` read.

Printed: the pooled per-pair figures of the six-channel members and of the scene's own
ensemble (the members the scene was run with) side by side, each with a scene-bootstrap
95 % interval. The comparison with the vector-level rule (confirmed detections against the
persistent truth) follows from::

    .venv/bin/python benchmarks/support_rules.py SCENE_DIR... --rules independent --out A
    .venv/bin/python benchmarks/support_rules.py OUT/scenes/seed* --rules independent --out B
    .venv/bin/python benchmarks/support_skill.py A/independent/seed*   # the rule's confirmed
    .venv/bin/python benchmarks/support_skill.py B/independent/seed*   # six channels, every one

Finished members and products are kept: a rerun continues where it stopped.

Usage: .venv/bin/python benchmarks/sibling_channels.py --training-scenes DIR... \\
       --calibration-scenes DIR... --scenes SCENE_DIR... --out OUT [--threads 2]
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from heldout_skill import DETECTORS, bootstrap, pair_counts, pooled_figures, print_figures

from massmove.config import deep_merge, load_yaml, resolve_config
from massmove.pairs import sibling_product
from massmove.settings import StageSettings
from massmove.stages.detect import vectorise_stage
from massmove.stages.model import calibrate_stage, segment_stage, train_stage

REPO = Path(__file__).resolve().parents[1]
SIX_CHANNELS = [
    "cos_phase",
    "sin_phase",
    "coherence",
    "sibling_cos_phase",
    "sibling_sin_phase",
    "sibling_coherence",
]
#: what a held-out scene directory lends the six-channel one (everything but the ensemble's)
LINKED = ("resources", "results/interferograms", "results/truth", "results/baseline", "heldout.yaml")


def six_channel_config(base_config: Path | None) -> dict[str, Any]:
    """The config with the six channels (set after validation: the schema offers three)."""
    config = resolve_config(load_yaml(base_config) if base_config else {})
    config["model"]["channels"] = list(SIX_CHANNELS)
    config["model"]["checkpoints"] = []
    return config


def train_and_calibrate(
    config: dict[str, Any],
    training_scenes: Sequence[Path],
    calibration_scenes: Sequence[Path],
    out: Path,
    threads: int,
) -> list[Path]:
    """Train every member (one after the other, skipping finished ones), calibrate them."""
    folds = range(config["model"]["ensemble_size"])
    trained = [out / f"trained/fold{fold}" for fold in folds]
    for fold, member in zip(folds, trained, strict=True):
        if not member.exists():
            start = time.process_time()
            train_stage(StageSettings.from_config("train", config), fold, training_scenes, member)
            print(f"fold {fold} trained in {time.process_time() - start:.0f} CPU s", flush=True)
    members = [out / f"members/fold{fold}" for fold in folds]
    if not all(member.exists() for member in members):
        start = time.process_time()
        calibrate_stage(
            StageSettings.from_config("calibrate", config),
            trained,
            calibration_scenes,
            members,
            out / "calibration.json",
            threads=threads,
        )
        print(f"calibrated in {time.process_time() - start:.0f} CPU s (this process)", flush=True)
    return members


def detect_scene(
    config: dict[str, Any], scene: Path, members: Sequence[Path], out: Path, threads: int
) -> Path:
    """Segment and vectorise every pair of one held-out scene with the six-channel members."""
    target = out / "scenes" / scene.name
    (target / "results").mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = target / name
        if not link.exists():
            link.symlink_to((scene / name).resolve())
    for product in sorted((scene / "results/interferograms").glob("*.tif")):
        likelihood = target / f"results/likelihood/{product.stem}.tif"
        detections = target / f"results/detections/{product.stem}.gpkg"
        if not likelihood.exists():
            segment_stage(
                StageSettings.from_config("segment:ensemble", config),
                product,
                members,
                likelihood,
                detector="ensemble",
                threads=threads,
                sibling_tif=sibling_product(product),
            )
        if not detections.exists():
            vectorise_stage(StageSettings.from_config("vectorise", config), likelihood, detections)
    return target


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--training-scenes", type=Path, nargs="+", required=True)
    parser.add_argument("--calibration-scenes", type=Path, nargs="+", required=True)
    parser.add_argument("--scenes", type=Path, nargs="+", required=True, help="heldout_skill.py scene dirs")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--configfile", type=Path, default=None, help="base config (default: the repo's)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bootstrap", type=int, default=2000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    config = six_channel_config(args.configfile)
    seen = {scene.resolve().name for scene in (*args.training_scenes, *args.calibration_scenes)}
    if clash := sorted(seen.intersection(scene.name for scene in args.scenes)):
        parser.error(f"scenes {clash} are training or calibration scenes, not held out")
    members = train_and_calibrate(
        config, args.training_scenes, args.calibration_scenes, args.out, args.threads
    )
    per_detector: dict[str, list[list[dict[str, Any]]]] = {"six channels": [], "scene's ensemble": []}
    for scene in args.scenes:
        start = time.process_time()
        target = detect_scene(config, scene, members, args.out, args.threads)
        scene_config = deep_merge(config, load_yaml(scene / "heldout.yaml"))
        pairs = sorted(p.stem for p in (scene / "results/interferograms").glob("*.tif"))
        for name, directory in (("six channels", target), ("scene's ensemble", scene)):
            per_detector[name].append(
                [pair_counts(directory, pair, DETECTORS["ensemble"], scene_config) for pair in pairs]
            )
        print(f"{scene.name}: detected in {time.process_time() - start:.0f} CPU s (this process)", flush=True)
    refs = sum(p["t0.4"]["references"] for scene in per_detector["six channels"] for p in scene)
    n_pairs = sum(len(scene) for scene in per_detector["six channels"])
    print(
        f"\n{len(args.scenes)} held-out scenes, {n_pairs} pairs, {refs} coherent patterns; pooled, "
        f"scene-bootstrap 95 % interval ({args.bootstrap} draws)"
    )
    for name, scenes in per_detector.items():
        detections = sum(p["t0.4"]["detections"] for scene in scenes for p in scene)
        matched = sum(p["t0.4"]["matched"] for scene in scenes for p in scene)
        print(f"{name}: {detections} detections, {matched} matched at IoU 0.4")
    print_figures(
        {
            name: {
                "pooled": pooled_figures([p for scene in scenes for p in scene]),
                "interval": bootstrap(scenes, args.bootstrap),
            }
            for name, scenes in per_detector.items()
        }
    )


if __name__ == "__main__":
    main()
