"""Skill of an ensemble against the classical baseline on held-out synthetic scenes.

For each seed, the workflow runs the default config (or ``--configfile``) with
``synthetic.seed`` set to it and ``model.checkpoints`` set to the given members: the scene is
simulated, the ensemble and the baseline detect on every pair through the same tiling and
vectorising, and both are evaluated against the scene's ``coherent`` truth
(``results/evaluation.json``, ``results/baseline/evaluation.json``). Printed: per scene and
pooled over all scenes (sums of counts, then proportions, with the package's
``pool_evaluations``), the references, detections, matched objects at
``evaluation.iou_threshold``, pixel IoU and object F1 of each detector, and which one wins on
object F1.

Seeds must not be used anywhere else (training scenes, the default scene, tests): a held-out
scene the members have seen says nothing. Seeds that are the config's detection or training
scenes, or the training scenes recorded in the members' ``massmove.json``, are refused. The
workflow is run in every seed directory each time: a finished scene costs seconds, and other
checkpoints re-detect (Snakemake sees the changed ``model.checkpoints``) without simulating the
scene again.

Usage: .venv/bin/python benchmarks/heldout_skill.py --checkpoints RUN/results/models/fold*
       --seeds 6029 7411 8353 9187 5573 [--workdir /tmp/heldout] [--cores 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from massmove.config import load_yaml, resolve_config
from massmove.evaluate.pair import pool_evaluations
from massmove.model.checkpoint import read_metadata

REPO = Path(__file__).resolve().parents[1]
DETECTORS = {"ensemble": "results/evaluation.json", "baseline": "results/baseline/evaluation.json"}


def scene_overrides(seed: int, checkpoints: Sequence[Path]) -> dict[str, Any]:
    """Config overrides of one held-out scene: its seed and the ensemble under test."""
    return {
        "synthetic": {"seed": seed},
        "model": {"checkpoints": [str(path.resolve()) for path in checkpoints]},
    }


def run_scene(scene_dir: Path, overrides: Mapping[str, Any], *, base_config: Path | None, cores: int) -> None:
    """Run the workflow for one scene in ``scene_dir`` (stops on the first failure)."""
    scene_dir.mkdir(parents=True, exist_ok=True)
    override_file = scene_dir / "heldout.yaml"
    override_file.write_text(yaml.safe_dump(dict(overrides), sort_keys=True))
    config_files = [str(base_config.resolve())] if base_config else []
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        str(cores),
        "--directory",
        str(scene_dir),
        *DETECTORS.values(),
        "--configfile",
        *config_files,
        str(override_file),
    ]
    with open(scene_dir / "heldout.log", "w") as log:
        subprocess.run(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, check=True)


def read_evaluations(scene_dir: Path) -> dict[str, dict[str, Any]]:
    """The pooled evaluation of each detector in a finished scene directory."""
    return {name: json.loads((scene_dir / path).read_text()) for name, path in DETECTORS.items()}


def pool_scenes(scenes: Mapping[int, Mapping[str, Mapping[str, Any]]], detector: str) -> dict[str, Any]:
    """One detector's figures pooled over every pair of every scene."""
    first = next(iter(scenes.values()))[detector]
    per_pair = {
        f"{seed}/{pair}": record
        for seed, evaluations in scenes.items()
        for pair, record in evaluations[detector]["pairs"].items()
    }
    return pool_evaluations(
        per_pair,
        iou_threshold=first["iou_threshold"],
        likelihood_threshold=first["likelihood_threshold"],
    )


def skill_row(label: str, evaluations: Mapping[str, Mapping[str, Any]]) -> str:
    """One line of the table: references, then each detector's counts and scores, the winner."""
    references = evaluations["ensemble"]["counts"]["references"]
    cells = [f"{label:>8} {references:>5}"]
    for name in DETECTORS:
        record = evaluations[name]
        counts = record["counts"]
        cells.append(
            f"{counts['detections']:>6} {counts['matched']:>4} "
            f"{record['pixel_iou']:>6.3f} {record['object_f1']:>6.3f}"
        )
    ensemble_f1, baseline_f1 = (evaluations[name]["object_f1"] for name in DETECTORS)
    verdict = "ensemble" if ensemble_f1 > baseline_f1 else "baseline" if baseline_f1 > ensemble_f1 else "tie"
    return "  |  ".join(cells) + f"  |  {verdict}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--checkpoints", type=Path, nargs="+", required=True, help="ensemble member directories"
    )
    parser.add_argument("--seeds", type=int, nargs="+", required=True, help="held-out synthetic.seed values")
    parser.add_argument("--workdir", type=Path, default=Path("heldout"), help="one run directory per seed")
    parser.add_argument("--configfile", type=Path, default=None, help="base config (default: the repo's)")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args(argv)

    base = resolve_config(load_yaml(args.configfile) if args.configfile else {})
    used = {base["synthetic"]["seed"], *base["train"]["synthetic_seeds"]}
    # the scenes the members under test were trained on, whatever config trained them
    for member in args.checkpoints:
        used.update(read_metadata(member)["train"].get("synthetic_seeds", []))
    if clash := sorted(used.intersection(args.seeds)):
        parser.error(
            f"seeds {clash} are the config's detection scene or a training scene of the config or"
            " of the members, not held out"
        )

    scenes: dict[int, dict[str, dict[str, Any]]] = {}
    for seed in args.seeds:
        scene_dir = args.workdir / f"seed{seed}"
        run_scene(
            scene_dir, scene_overrides(seed, args.checkpoints), base_config=args.configfile, cores=args.cores
        )
        scenes[seed] = read_evaluations(scene_dir)

    header = "  |  ".join(["    seed  refs", *(f"{name}: det  hit   pxIoU  objF1" for name in DETECTORS)])
    print(header + "  |  object F1 winner")
    for seed, evaluations in scenes.items():
        print(skill_row(str(seed), evaluations))
    pooled = {name: pool_scenes(scenes, name) for name in DETECTORS}
    print(skill_row("pooled", pooled))


if __name__ == "__main__":
    main()
