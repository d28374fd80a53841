"""Label-dense training scenes against plain ones of the same ground: is the clutter the same?

Two training scenes of one seed, made by the workflow (``resources/training/seed{seed}`` of
two run directories), one at ``train.movement_density_factor`` 1 and one denser, are compared
as ``generator_equivalence.py`` compares generators (its statistics, pooled over pairs):
phase residual against the noise-free phase by coherence, coherence by land cover, labels,
how well the product shows patterns by area, the clutter's fringe-rate excess outside every
pattern, and a small CNN's ROC AUC at telling 128 px crops of the two scenes apart, on crops
that touch no pattern of either scene (0.5: the background cannot be told apart).

Usage::

    .venv/bin/python benchmarks/dense_equivalence.py --seed 101 --factor 4 \\
        --plain RUN_A/resources/training/seed101 --dense RUN_B/resources/training/seed101 [--json out.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from generator_equivalence import crop_classifier_auc, new_accumulator, pair_statistics, summarise

from massmove.config import resolve_config
from massmove.grid import sample_nearest
from massmove.io.raster_io import read_grid
from massmove.settings import StageSettings
from massmove.simulate.ground import simulate_ground
from massmove.stages.model import training_scene_config


def scene_statistics(scene: Path, seed: int, factor: float) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The scene's pooled statistics and its pattern-free crops keyed by place."""
    settings = StageSettings.from_config("training_scene", resolve_config({}))
    ground = simulate_ground(training_scene_config(settings, seed, factor))
    acc = new_accumulator()
    for product in sorted((scene / "interferograms").glob("*.tif")):
        grid = read_grid(product)
        east, north = grid.centres()
        landcover = sample_nearest(ground.grid, ground.landcover, east, north, fill=0)
        pair_statistics(scene, product.stem, landcover, acc, pattern_free_crops=True)
    crops = {key.split("/", 1)[1]: crop for key, crop in acc["crops"]}
    return summarise(acc), crops


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument(
        "--factor", type=float, required=True, help="the dense scene's movement_density_factor"
    )
    parser.add_argument("--plain", type=Path, required=True)
    parser.add_argument("--dense", type=Path, required=True)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    result: dict[str, Any] = {"seed": args.seed, "factor": args.factor}
    crops = {}
    for name, scene, factor in (("plain", args.plain, 1.0), ("dense", args.dense, args.factor)):
        result[name], crops[name] = scene_statistics(scene, args.seed, factor)
    # only places pattern-free in both scenes
    shared = set(crops["plain"]) & set(crops["dense"])
    result["pattern_free_crops"] = len(shared)
    result["crop_classifier_roc_auc"] = round(
        crop_classifier_auc({name: {k: v for k, v in c.items() if k in shared} for name, c in crops.items()}),
        3,
    )
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
