"""Confirmed detections against every detected area, pooled over held-out scenes.

Reads the ``support`` block of each scene's ``results/evaluation.json`` (and the baseline's,
``results/baseline/evaluation.json``) that the evaluation rule writes: every pair's detections
and the confirmed ones (support >= ``detection.min_support``), each against the pair's
coherent reference patterns that at least as many pairs show. Counts are summed over pairs
and scenes first, then turned into proportions; false alarms are unmatched detections per
100 km2 and pair. Each figure carries a scene-bootstrap 95 %
interval (scenes resampled with replacement), and the two ratios the acceptance asks for are
computed inside every draw: confirmed false alarms over every area's, and the relative loss of
recall on the persistent truth.

Usage: .venv/bin/python benchmarks/support_skill.py SCENE_DIR ... [--json out.json]
(scene directories as ``benchmarks/heldout_skill.py`` leaves them; run that first).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from massmove.scores import format_score, object_scores, proportion

TREES = {"ensemble": "results/evaluation.json", "baseline": "results/baseline/evaluation.json"}
SETS = ("every_detection", "confirmed")


def scene_counts(scene_dir: Path, evaluation: str) -> dict[str, Any]:
    """The support block of one scene's evaluation (counts per set and the covered ground)."""
    record = json.loads((scene_dir / evaluation).read_text())
    if "support" not in record:
        raise SystemExit(f"{scene_dir / evaluation}: no support block (made before support existed?)")
    return record["support"]


def pooled(scenes: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """Pooled figures of both sets and the two acceptance ratios."""
    covered = sum(s["pair_km2"] for s in scenes)
    figures: dict[str, float | None] = {}
    for name in SETS:
        d, r, m = (sum(s[name][k] for s in scenes) for k in ("detections", "references", "matched"))
        scores = object_scores(d, r, m)
        figures[f"{name} detections"] = float(d)
        figures[f"{name} matched"] = float(m)
        figures[f"{name} precision"] = scores["precision"]
        figures[f"{name} recall"] = scores["recall"]
        figures[f"{name} f1"] = scores["f1"]
        figures[f"{name} false alarms per 100 km2 and pair"] = (d - m) / covered * 100.0 if covered else None
    every = figures["every_detection false alarms per 100 km2 and pair"]
    confirmed = figures["confirmed false alarms per 100 km2 and pair"]
    figures["false-alarm ratio, confirmed / every"] = (
        proportion(confirmed or 0.0, every or 0.0) if every else None
    )
    recall_every, recall_confirmed = figures["every_detection recall"], figures["confirmed recall"]
    figures["relative recall loss"] = (
        1.0 - recall_confirmed / recall_every if recall_every and recall_confirmed is not None else None
    )
    return figures


def bootstrap(
    scenes: Sequence[Mapping[str, Any]], repeats: int, seed: int = 0
) -> dict[str, list[float | None]]:
    """Scene-bootstrap 95 % interval of every pooled figure, over the draws where it is defined."""
    rng = np.random.default_rng(seed)
    draws = [pooled([scenes[i] for i in rng.integers(len(scenes), size=len(scenes))]) for _ in range(repeats)]
    intervals: dict[str, list[float | None]] = {}
    for key in draws[0]:
        defined = [d[key] for d in draws if d[key] is not None]
        intervals[key] = [float(v) for v in np.percentile(defined, [2.5, 97.5])] if defined else [None, None]
    return intervals


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenes", type=Path, nargs="+", help="scene directories of heldout_skill.py")
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    results = {}
    for tree, evaluation in TREES.items():
        scenes = [scene_counts(scene, evaluation) for scene in args.scenes]
        results[tree] = {
            "min_support": sorted({s["min_support"] for s in scenes}),
            "persistent_references": sum(s["persistent_references"] for s in scenes),
            "pair_km2": sum(s["pair_km2"] for s in scenes),
            "pooled": pooled(scenes),
            "interval": bootstrap(scenes, args.bootstrap),
            "scenes": scenes,
        }
    first = results["ensemble"]
    print(
        f"{len(args.scenes)} scenes, {first['persistent_references']} persistent patterns, "
        f"{first['pair_km2']:.0f} km2 and pairs covered, min_support {first['min_support']}; pooled "
        f"[scene-bootstrap 95 % interval, {args.bootstrap} draws]"
    )
    print(f"{'':42} " + " ".join(f"{tree:>26}" for tree in results))
    for key in first["pooled"]:
        cells = []
        for tree in results:
            value, (low, high) = results[tree]["pooled"][key], results[tree]["interval"][key]
            if key.endswith(("detections", "matched")):
                cells.append(f"{value:.0f} [{low:.0f}, {high:.0f}]")
                continue
            metric = next((m for m in ("precision", "recall", "f1") if key.endswith(m)), "")
            cells.append("{} [{}, {}]".format(*(format_score(v, metric) for v in (value, low, high))))
        print(f"{key:42} " + " ".join(f"{cell:>26}" for cell in cells))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
