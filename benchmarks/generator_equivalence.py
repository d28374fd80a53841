"""The phase-domain training scenes against the SLC ones, side by side on shared seeds.

For every seed both generators make the same training scene in this process (the
``training_scene`` stage with ``train.generator`` slc, then phase), timed in CPU seconds per
km2 of product. Their products are then compared pair by pair, pooled over pairs (sums first):

* phase residual against each generator's own noise-free phase, by truth-coherence bin
  (circular standard deviation);
* estimated coherence by land cover (quartiles);
* labels: coherent and faint patterns per generator, and how well each product shows its
  patterns, by area (the resultant length of the product's phase minus the truth's inside them);
* clutter: the fringe-rate excess (the classical baseline's measure) where coherence holds,
  outside every pattern;
* a small CNN trained to tell 128 px crops of the two generators apart (cos, sin, coherence),
  5-fold cross-validated with both versions of a place in the same fold: its ROC AUC.

Usage::

    .venv/bin/python benchmarks/generator_equivalence.py --seeds 101 102 --workdir /tmp/gen \\
        [--extent-km 10] [--json out.json]

Existing scenes under ``--workdir`` are reused (the timing is then read from ``cpu.json``).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import torch
from rasterio import features

from massmove.config import resolve_config
from massmove.grid import sample_nearest
from massmove.insar.fringes import fringe_excess
from massmove.io.raster_io import read_bands, read_grid
from massmove.settings import StageSettings, select, stage_keys
from massmove.simulate.ground import simulate_ground
from massmove.simulate.landcover import LandCover
from massmove.stages.model import training_scene_config, training_scene_stage

GENERATORS = ("slc", "phase")
COHERENCE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.01)
AREA_BINS_M2 = (0, 15_000, 30_000, 60_000, 120_000, math.inf)
CROP_PX = 128


def scene_settings(config: dict[str, Any], generator: str) -> StageSettings:
    values = select(config, stage_keys("training_scene"))
    values["train"]["generator"] = generator
    return StageSettings.of("training_scene", values)


def make_scenes(config: dict[str, Any], seeds: list[int], workdir: Path) -> dict[str, Any]:
    cpu_file = workdir / "cpu.json"
    cpu: dict[str, Any] = json.loads(cpu_file.read_text()) if cpu_file.exists() else {}
    for seed in seeds:
        for generator in GENERATORS:
            key = f"{generator}/seed{seed}"
            scene = workdir / key
            if scene.exists() and key in cpu:
                continue
            start = time.process_time()
            training_scene_stage(scene_settings(config, generator), seed, scene)
            cpu[key] = time.process_time() - start
            print(f"{key}: {cpu[key]:.1f} CPU s", flush=True)
            cpu_file.write_text(json.dumps(cpu, indent=1))
    return cpu


def pattern_masks(truth: gpd.GeoDataFrame, grid, classes: tuple[str, ...]) -> list[tuple[float, Any]]:
    masks = []
    for _, row in truth[truth["class"].isin(classes)].iterrows():
        mask = features.rasterize([(row.geometry, 1)], out_shape=grid.shape, transform=grid.transform) > 0
        masks.append((float(row["area_m2"]), mask))
    return masks


def new_accumulator() -> dict[str, Any]:
    """What :func:`pair_statistics` accumulates over pairs (and :func:`summarise` reads)."""
    return {"residual": {}, "coherence": {}, "labels": {}, "shown": {}, "clutter": [], "crops": []}


def pair_statistics(
    scene: Path, pair: str, landcover: np.ndarray, acc: dict[str, Any], *, pattern_free_crops: bool = False
) -> None:
    """Accumulate one pair's statistics into ``acc``; with ``pattern_free_crops`` only crops
    that touch no truth polygon (coherent, faint or incoherent) go to the crop classifier."""
    bands, grid, _ = read_bands(scene / "interferograms" / f"{pair}.tif")
    phase, coherence = bands["wrapped_phase"], bands["coherence"]
    truth_bands, _, _ = read_bands(scene / "truth" / f"{pair}_phase.tif")
    truth_phase, truth_coherence = truth_bands["wrapped_phase"], truth_bands["coherence"]
    truth = gpd.read_file(scene / "truth" / f"{pair}.gpkg")
    residual = np.exp(1j * (phase - truth_phase))
    valid = np.isfinite(residual)
    for lo, hi in zip(COHERENCE_BINS[:-1], COHERENCE_BINS[1:], strict=True):
        mask = valid & (truth_coherence >= lo) & (truth_coherence < hi)
        slot = acc["residual"].setdefault(f"{lo:.1f}-{min(hi, 1.0):.1f}", [0, 0j])
        slot[0] += int(mask.sum())
        slot[1] += complex(residual[mask].sum())
    for cover in LandCover:
        mask = (landcover == int(cover)) & np.isfinite(coherence)
        acc["coherence"].setdefault(cover.name.lower(), []).append(coherence[mask])
    counts = truth["class"].value_counts().to_dict()
    for label in ("coherent", "faint", "incoherent"):
        acc["labels"][label] = acc["labels"].get(label, 0) + int(counts.get(label, 0))
    anywhere = np.zeros(grid.shape, bool)
    for area, mask in pattern_masks(truth, grid, ("coherent", "faint")):
        anywhere |= mask
        inside = mask & valid
        if inside.sum() == 0:
            continue
        index = int(np.searchsorted(AREA_BINS_M2, area, side="right") - 1)
        acc["shown"].setdefault(index, []).append(float(np.abs(residual[inside].mean())))
    for _, mask in pattern_masks(truth, grid, ("incoherent",)):
        anywhere |= mask
    excess, readable = fringe_excess(
        np.exp(1j * np.nan_to_num(phase)),
        np.nan_to_num(coherence),
        np.isfinite(phase),
        window_px=9,
        min_coherence=0.3,
    )
    clutter = readable & ~anywhere
    acc["clutter"].append(excess[clutter])
    for r in range(0, grid.shape[0] - CROP_PX + 1, CROP_PX):
        for c in range(0, grid.shape[1] - CROP_PX + 1, CROP_PX):
            window = (slice(r, r + CROP_PX), slice(c, c + CROP_PX))
            if np.isfinite(phase[window]).mean() < 0.9 or (pattern_free_crops and anywhere[window].any()):
                continue
            crop = np.stack(
                [
                    np.cos(np.nan_to_num(phase[window])),
                    np.sin(np.nan_to_num(phase[window])),
                    np.nan_to_num(coherence[window]),
                ]
            )
            acc["crops"].append((f"{scene.name}/{pair}/{r}/{c}", crop.astype(np.float32)))


def summarise(acc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"residual_std_rad": {}, "coherence_quartiles": {}, "pattern_shown_R": {}}
    for key, (n, total) in acc["residual"].items():
        resultant = abs(total) / n if n else float("nan")
        out["residual_std_rad"][key] = (
            round(math.sqrt(-2 * math.log(max(resultant, 1e-12))), 4) if n else None
        )
    for cover, parts in acc["coherence"].items():
        values = np.concatenate(parts)
        if values.size > 100:
            out["coherence_quartiles"][cover] = [
                round(float(v), 3) for v in np.percentile(values, [25, 50, 75])
            ]
    for index in sorted(acc["shown"]):
        values = acc["shown"][index]
        label = f"{AREA_BINS_M2[index]:.0f}-{AREA_BINS_M2[index + 1]:.0f}"
        out["pattern_shown_R"][label] = [len(values), round(float(np.mean(values)), 3)]
    clutter = np.concatenate(acc["clutter"])
    out["clutter_fringe_excess"] = {
        "mean_rad_per_px": round(float(clutter.mean()), 4),
        "share_over_0.5": round(float((clutter > 0.5).mean()), 4),
    }
    out["labels"] = acc["labels"]
    return out


def crop_classifier_auc(crops: dict[str, dict[str, np.ndarray]], folds: int = 5, epochs: int = 12) -> float:
    """ROC AUC of a small CNN telling two sources' crops apart (the first and second key of
    ``crops``), cross-validated by place."""
    first, second = list(crops)[:2]
    places = sorted(set(crops[first]) & set(crops[second]))
    rng = np.random.default_rng(0)
    order = rng.permutation(len(places))
    folds = min(folds, len(places))
    scores: list[tuple[float, int]] = []
    torch.manual_seed(0)
    for fold in range(folds):
        test = {places[i] for i in order[fold::folds]}
        train_x, train_y, test_x, test_y = [], [], [], []
        for label, generator in enumerate((first, second)):
            for place in places:
                (test_x if place in test else train_x).append(crops[generator][place])
                (test_y if place in test else train_y).append(label)
        net = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 32, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1),
            torch.nn.Flatten(),
            torch.nn.Linear(32, 1),
        )
        optimiser = torch.optim.Adam(net.parameters(), lr=2e-3)
        x = torch.from_numpy(np.stack(train_x))
        y = torch.tensor(train_y, dtype=torch.float32)
        for _ in range(epochs):
            permutation = torch.randperm(len(y))
            for start in range(0, len(y), 16):
                batch = permutation[start : start + 16]
                optimiser.zero_grad()
                loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x[batch])[:, 0], y[batch])
                loss.backward()
                optimiser.step()
        with torch.no_grad():
            logits = net(torch.from_numpy(np.stack(test_x)))[:, 0].numpy()
        scores.extend(zip(logits.tolist(), test_y, strict=True))
    positives = [s for s, y in scores if y == 1]
    negatives = [s for s, y in scores if y == 0]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--extent-km", type=float, default=10.0)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    config = resolve_config({"synthetic": {"extent_km": [args.extent_km, args.extent_km]}})
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    cpu = make_scenes(config, args.seeds, workdir)
    area_km2 = args.extent_km**2
    result: dict[str, Any] = {"seeds": args.seeds, "extent_km": args.extent_km, "cpu_s_per_km2": {}}
    for generator in GENERATORS:
        total = sum(cpu[f"{generator}/seed{seed}"] for seed in args.seeds)
        result["cpu_s_per_km2"][generator] = round(total / (area_km2 * len(args.seeds)), 3)
    result["cpu_ratio_slc_over_phase"] = round(
        result["cpu_s_per_km2"]["slc"] / result["cpu_s_per_km2"]["phase"], 2
    )
    crops: dict[str, dict[str, np.ndarray]] = {}
    for generator in GENERATORS:
        acc = new_accumulator()
        for seed in args.seeds:
            scene_config = training_scene_config(scene_settings(config, generator), seed)
            ground = simulate_ground(scene_config)
            scene = workdir / generator / f"seed{seed}"
            for product in sorted((scene / "interferograms").glob("*.tif")):
                grid = read_grid(product)
                east, north = grid.centres()
                landcover = sample_nearest(ground.grid, ground.landcover, east, north, fill=0)
                pair_statistics(scene, product.stem, landcover, acc)
        result[generator] = summarise(acc)
        crops[generator] = dict(acc["crops"])
    result["crops_per_generator"] = len(set(crops["slc"]) & set(crops["phase"]))
    result["crop_classifier_roc_auc"] = round(crop_classifier_auc(crops), 3)
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
