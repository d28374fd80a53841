"""Skill of an ensemble against the classical baseline on held-out synthetic scenes.

For each seed, the workflow runs the default config (or ``--configfile``) with
``synthetic.seed`` set to it and ``model.checkpoints`` set to the given members: the scene is
simulated (full SLC chain, then cached: a finished scene re-runs in seconds, other checkpoints
re-detect only), and the ensemble and the baseline detect on every pair through the same
tiling and vectorising. The scores are then **recomputed from the GeoPackages** (detections
against the scene's truth, class ``coherent``; ``faint`` for the lenient score) with the
package's ``evaluate_pair`` at t = 0.4 and t = 0.25, and pooled over every pair of every scene
(sums of counts, then proportions; one the counts leave undefined, e.g. a precision without
detections, prints as such and is null in ``--json``). Printed for both detectors side by
side, each with a scene-bootstrap 95 % interval (scenes resampled with replacement):

* object precision, recall, F1 at t = 0.4 and 0.25, and the lenient precision and F1 at 0.4
  (detections on faint patterns neither hit nor false alarm);
* pixel IoU;
* false alarms (unmatched detections at t = 0.4) per 100 km2 and pair;
* recall at t = 0.4 by size class of the reference patterns.

Seeds must not be used anywhere else (training or calibration scenes, the default scene, tests,
tuning): a held-out scene the members have seen, or a choice was made on, says nothing. Seeds
that are the config's detection, training or calibration scenes, or the training and
calibration scenes recorded in the members' ``massmove.json``, are refused.

Usage: .venv/bin/python benchmarks/heldout_skill.py --checkpoints RUN/results/models/fold*
       --seeds S1 ... S8 [--workdir /tmp/heldout] [--cores 2] [--json skill.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scene_runs import run_workflow

from massmove.config import deep_merge, load_yaml, resolve_config
from massmove.evaluate.pair import evaluate_pair
from massmove.io.detection import detection_from_tags
from massmove.io.labels import read_labels
from massmove.io.raster_io import read_bands
from massmove.io.vector import read_vector
from massmove.model.checkpoint import read_metadata
from massmove.pairs import synthetic_pairs
from massmove.scores import format_score, object_scores, pixel_scores, proportion

DETECTORS = {"ensemble": "results", "baseline": "results/baseline"}
IOU_THRESHOLDS = (0.4, 0.25)
# what the ensemble makes in a scene directory (removed before members are tested on reused scenes)
ENSEMBLE_PRODUCTS = ("likelihood", "detections", "detections.gpkg", "evaluation", "evaluation.json")
SIZE_CLASSES_M2 = (0.0, 15_000.0, 30_000.0, 60_000.0, 120_000.0, np.inf)


def scene_overrides(seed: int, checkpoints: Sequence[Path]) -> dict[str, Any]:
    """Config overrides of one held-out scene: its seed and the ensemble under test."""
    return {
        "synthetic": {"seed": seed},
        "model": {"checkpoints": [str(path.resolve()) for path in checkpoints]},
    }


def run_scene(
    scene_dir: Path,
    overrides: Mapping[str, Any],
    *,
    base_config: Path | None,
    cores: int,
    extra_args: Sequence[str] = (),
) -> None:
    """Run the workflow for one scene in ``scene_dir`` (stops on the first failure)."""
    targets = ["results/evaluation.json", "results/baseline/evaluation.json"]
    run_workflow(
        scene_dir,
        overrides,
        targets,
        base_config=base_config,
        cores=cores,
        name="heldout",
        extra_args=extra_args,
    )


def deformation_truth(scene_dir: Path, pair_id: str, config: Mapping[str, Any]) -> Path:
    """The pair's truth under the simpler rule (``synthetic.truth.judged_on: deformation``),
    computed once beside the scene's own (``results/truth_deformation/{pair}.gpkg``)."""
    from massmove.io.raster_io import read_raster
    from massmove.io.vector import write_gpkg
    from massmove.pairs import find_pair
    from massmove.simulate.ground import product_grid, read_ground
    from massmove.simulate.imaging import track_context
    from massmove.simulate.truth import pair_truth

    path = scene_dir / f"results/truth_deformation/{pair_id}.gpkg"
    if not path.exists():
        former = deep_merge(config, {"synthetic": {"truth": {"judged_on": "deformation"}}})
        ground = read_ground(scene_dir / "resources/synthetic/ground.zarr")
        dem, dem_grid, _ = read_raster(scene_dir / "resources/dem/synthetic_dem.tif")
        pair = find_pair(former, pair_id)
        truth = pair_truth(
            former,
            ground,
            track_context(former, ground, pair.track),
            pair,
            product_grid(former),
            dem,
            dem_grid,
        )
        write_gpkg(path, truth.patterns, layer="patterns")
    return path


def pair_counts(
    scene_dir: Path, pair_id: str, root: str, config: Mapping[str, Any], *, truth: Path | None = None
) -> dict[str, Any]:
    """Counts of one detector on one pair, recomputed from its GeoPackage and likelihood
    (against the scene's truth, or ``truth``)."""
    truth = truth or scene_dir / f"results/truth/{pair_id}.gpkg"
    references = read_labels(truth, label_class="coherent")
    faint = read_labels(truth, label_class="faint")
    detections = read_vector(scene_dir / f"{root}/detections/{pair_id}.gpkg", what="detections")
    bands, grid, tags = read_bands(
        scene_dir / f"{root}/likelihood/{pair_id}.tif", required=("likelihood_mean",)
    )
    threshold = detection_from_tags(tags, config["detection"]).threshold
    counts: dict[str, Any] = {
        "area_km2": float(np.isfinite(bands["likelihood_mean"]).sum()) * grid.spacing_m**2 / 1e6
    }
    for iou in IOU_THRESHOLDS:
        record = evaluate_pair(
            detections,
            references,
            bands["likelihood_mean"],
            grid,
            iou_threshold=iou,
            likelihood_threshold=threshold,
            coverages=[0.5],
            lenient=faint,
        )
        counts[f"t{iou}"] = {
            "detections": record["n_detections"],
            "references": record["n_references"],
            "matched": record["object"]["matched"],
            "on_faint": record["object_lenient"]["on_lenient"],
        }
        if iou == IOU_THRESHOLDS[0]:
            counts["pixel"] = {key: record["pixel"][key] for key in ("tp", "fp", "fn")}
            areas = np.asarray(record["reference_areas_m2"])
            found = np.zeros(len(areas), dtype=bool)
            found[[m["reference"] for m in record["object"]["matches"]]] = True
            counts["sizes"] = np.stack(
                [np.histogram(areas, SIZE_CLASSES_M2)[0], np.histogram(areas[found], SIZE_CLASSES_M2)[0]]
            )
    return counts


def pooled_figures(pairs: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """Figures of pooled counts (sums first, then proportions with the package's functions):
    ``None`` where the pooled counts leave a proportion undefined (precision without
    detections, recall without references, F1 and IoU with neither)."""
    figures: dict[str, float | None] = {}
    for iou in IOU_THRESHOLDS:
        d, r, m, f = (
            sum(p[f"t{iou}"][k] for p in pairs) for k in ("detections", "references", "matched", "on_faint")
        )
        strict = object_scores(d, r, m)
        for key in ("precision", "recall", "f1"):
            figures[f"{key}@{iou}"] = strict[key]
        if iou == IOU_THRESHOLDS[0]:
            lenient = object_scores(d - f, r, m)
            figures[f"lenient_precision@{iou}"] = lenient["precision"]
            figures[f"lenient_f1@{iou}"] = lenient["f1"]
            area = sum(p["area_km2"] for p in pairs) / len(pairs)
            figures["false_alarms_per_100km2_pair"] = (d - m) / len(pairs) * 100.0 / area
    pixel = {k: sum(p["pixel"][k] for p in pairs) for k in ("tp", "fp", "fn")}
    figures["pixel_iou"] = pixel_scores(pixel)["iou"]
    sizes = sum(p["sizes"] for p in pairs)
    for index, (low, high) in enumerate(zip(SIZE_CLASSES_M2[:-1], SIZE_CLASSES_M2[1:], strict=True)):
        name = (
            f"recall {low / 1e3:.0f}-{high / 1e3:.0f}k m2"
            if np.isfinite(high)
            else f"recall >{low / 1e3:.0f}k m2"
        )
        figures[name] = proportion(sizes[1, index], sizes[0, index])
    return figures


def metric_of(key: str) -> str:
    """The metric a figure's name holds (``precision``, ``recall``, ``f1``, ``iou``), for the
    wording of an undefined one."""
    return next((m for m in ("precision", "recall", "f1", "iou") if m in key), "")


def bootstrap(
    scenes: Sequence[Sequence[Mapping[str, Any]]], repeats: int, seed: int = 0
) -> dict[str, tuple[float | None, float | None]]:
    """Scene-bootstrap 95 % interval of every pooled figure, over the draws where it is
    defined (None where it is defined in none)."""
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(repeats):
        chosen = rng.integers(len(scenes), size=len(scenes))
        draws.append(pooled_figures([pair for i in chosen for pair in scenes[i]]))
    intervals: dict[str, tuple[float | None, float | None]] = {}
    for key in draws[0]:
        defined = [d[key] for d in draws if d[key] is not None]
        if defined:
            low, high = np.percentile(defined, [2.5, 97.5])
            intervals[key] = (float(low), float(high))
        else:
            intervals[key] = (None, None)
    return intervals


def print_figures(results: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
    """One row per pooled figure, one column per detector: value [interval], undefined ones
    named as such (``results[name]`` holds ``pooled`` and ``interval``)."""
    print(f"{'':32} " + " ".join(f"{name:>24}" for name in results))
    for key in next(iter(results.values()))["pooled"]:
        cells = []
        for name in results:
            value, (low, high) = results[name]["pooled"][key], results[name]["interval"][key]
            value_text, low_text, high_text = (format_score(v, metric_of(key)) for v in (value, low, high))
            cells.append(f"{value_text:>7} [{low_text:>6}, {high_text:>6}]")
        print(f"{key:32} " + " ".join(f"{cell:>24}" for cell in cells))


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
    parser.add_argument("--bootstrap", type=int, default=2000, help="scene-bootstrap repeats")
    parser.add_argument("--json", type=Path, default=None, help="write the figures and counts here")
    parser.add_argument(
        "--reuse-scenes",
        action="store_true",
        help="keep scenes (and the baseline's detections) made by earlier commits whatever their"
        " recorded params (Snakemake's --rerun-triggers mtime); the ensemble's products are removed"
        " first, so the members under test detect anew",
    )
    parser.add_argument(
        "--deformation-truth",
        action="store_true",
        help="also score the ensemble against the simpler truth (judged on the unfiltered deformation)",
    )
    args = parser.parse_args(argv)

    base = resolve_config(load_yaml(args.configfile) if args.configfile else {})
    used = {
        base["synthetic"]["seed"],
        *base["train"]["synthetic_seeds"],
        *base["train"]["calibration"]["synthetic_seeds"],
    }
    # the scenes the members under test were trained and calibrated on, whatever config made them
    for member in args.checkpoints:
        record = read_metadata(member)
        used.update(record["train"].get("synthetic_seeds", []))
        used.update((record.get("detection") or {}).get("calibrated_on", {}).get("scene_seeds", []))
    if clash := sorted(used.intersection(args.seeds)):
        parser.error(
            f"seeds {clash} are the config's detection scene or a training or calibration scene of"
            " the config or of the members, not held out"
        )

    per_detector: dict[str, list[list[dict[str, Any]]]] = {name: [] for name in DETECTORS}
    for seed in args.seeds:
        scene_dir = args.workdir / f"seed{seed}"
        if args.reuse_scenes:
            for name in ENSEMBLE_PRODUCTS:
                path = scene_dir / "results" / name
                shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        run_scene(
            scene_dir,
            scene_overrides(seed, args.checkpoints),
            base_config=args.configfile,
            cores=args.cores,
            extra_args=["--rerun-triggers", "mtime"] if args.reuse_scenes else [],
        )
        config = deep_merge(base, scene_overrides(seed, args.checkpoints))
        for name, root in DETECTORS.items():
            per_detector[name].append(
                [pair_counts(scene_dir, pair.pair_id, root, config) for pair in synthetic_pairs(config)]
            )
        if args.deformation_truth:
            per_detector.setdefault("ensemble, former truth", []).append(
                [
                    pair_counts(
                        scene_dir,
                        pair.pair_id,
                        DETECTORS["ensemble"],
                        config,
                        truth=deformation_truth(scene_dir, pair.pair_id, config),
                    )
                    for pair in synthetic_pairs(config)
                ]
            )
        refs = sum(p["t0.4"]["references"] for p in per_detector["ensemble"][-1])
        dets = [sum(p["t0.4"]["detections"] for p in per_detector[n][-1]) for n in DETECTORS]
        hits = [sum(p["t0.4"]["matched"] for p in per_detector[n][-1]) for n in DETECTORS]
        print(
            f"seed {seed}: {refs} coherent references; detections/matched ensemble {dets[0]}/{hits[0]}, "
            f"baseline {dets[1]}/{hits[1]}",
            flush=True,
        )

    results = {}
    for name, scenes in per_detector.items():
        pooled = pooled_figures([pair for scene in scenes for pair in scene])
        interval = bootstrap(scenes, args.bootstrap)
        results[name] = {"pooled": pooled, "interval": {k: list(v) for k, v in interval.items()}}
    n_pairs = sum(len(scene) for scene in per_detector["ensemble"])
    refs = sum(p["t0.4"]["references"] for scene in per_detector["ensemble"] for p in scene)
    print(
        f"\n{len(args.seeds)} held-out scenes, {n_pairs} pairs, {refs} coherent patterns; "
        f"pooled, scene-bootstrap 95 % interval ({args.bootstrap} draws)"
    )
    print_figures(results)
    if args.json:
        counts = {
            name: [[{k: v for k, v in p.items() if k != "sizes"} for p in scene] for scene in scenes]
            for name, scenes in per_detector.items()
        }
        args.json.write_text(
            json.dumps({"seeds": args.seeds, "results": results, "counts": counts}, indent=1)
        )


if __name__ == "__main__":
    main()
