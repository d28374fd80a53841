"""Two ensembles' held-out skill on the same scenes, and their difference with a paired interval.

Each argument list names finished scene directories (as ``benchmarks/heldout_skill.py`` or
``benchmarks/sibling_channels.py`` leave them) of the same held-out scenes, in the same
order: ``--a`` one ensemble's, ``--b`` the other's. The ensemble's detections of every pair are
scored against the scene's truth (``heldout_skill.pair_counts``, class ``coherent``, IoU 0.4),
pooled over pairs (counts first, then proportions), and printed for A, B and A - B. The
intervals come from one scene bootstrap: the same resampled scenes for A and B, so that the
difference's interval carries the pairing (the scenes' own difficulty cancels).

Usage: .venv/bin/python benchmarks/paired_skill.py --a DIR... --b DIR... [--bootstrap 2000]
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from heldout_skill import DETECTORS, pair_counts, pooled_figures

from massmove.config import deep_merge, load_yaml, resolve_config

#: the pooled figures compared (names of ``heldout_skill.pooled_figures``)
FIGURES = ("precision@0.4", "recall@0.4", "f1@0.4", "pixel_iou", "false_alarms_per_100km2_pair")


def scene_counts(scene: Path) -> list[dict[str, Any]]:
    """Counts of the ensemble on every pair of one finished scene directory."""
    config = deep_merge(resolve_config({}), load_yaml(scene / "heldout.yaml"))
    pairs = sorted(p.stem for p in (scene / "results/interferograms").glob("*.tif"))
    return [pair_counts(scene, pair, DETECTORS["ensemble"], config) for pair in pairs]


def figures(pairs: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The compared figures of pooled counts (NaN where the counts leave one undefined)."""
    pooled = pooled_figures(pairs)
    return {key: np.nan if pooled[key] is None else float(pooled[key]) for key in FIGURES}


def paired_bootstrap(
    a: Sequence[Sequence[Mapping[str, Any]]],
    b: Sequence[Sequence[Mapping[str, Any]]],
    repeats: int,
    seed: int = 0,
) -> dict[str, dict[str, tuple[float, float]]]:
    """95 % intervals of A's, B's figures and of A - B, over the same resampled scenes."""
    rng = np.random.default_rng(seed)
    draws: dict[str, list[dict[str, float]]] = {"A": [], "B": [], "A - B": []}
    for _ in range(repeats):
        chosen = rng.integers(len(a), size=len(a))
        fa = figures([pair for i in chosen for pair in a[i]])
        fb = figures([pair for i in chosen for pair in b[i]])
        draws["A"].append(fa)
        draws["B"].append(fb)
        draws["A - B"].append({key: fa[key] - fb[key] for key in FIGURES})
    intervals: dict[str, dict[str, tuple[float, float]]] = {}
    for name, values in draws.items():
        intervals[name] = {}
        for key in FIGURES:
            defined = [v[key] for v in values if np.isfinite(v[key])]
            low, high = np.percentile(defined, [2.5, 97.5]) if defined else (np.nan, np.nan)
            intervals[name][key] = (float(low), float(high))
    return intervals


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--a", type=Path, nargs="+", required=True, help="scene directories of ensemble A")
    parser.add_argument("--b", type=Path, nargs="+", required=True, help="the same scenes, ensemble B")
    parser.add_argument("--bootstrap", type=int, default=2000)
    args = parser.parse_args(argv)
    if [p.name for p in args.a] != [p.name for p in args.b]:
        parser.error("--a and --b must name the same scenes in the same order")
    a = [scene_counts(scene) for scene in args.a]
    b = [scene_counts(scene) for scene in args.b]
    pooled = {"A": figures([p for s in a for p in s]), "B": figures([p for s in b for p in s])}
    pooled["A - B"] = {key: pooled["A"][key] - pooled["B"][key] for key in FIGURES}
    intervals = paired_bootstrap(a, b, args.bootstrap)
    for name, scenes in (("A", a), ("B", b)):
        counts = [
            sum(p["t0.4"][k] for s in scenes for p in s) for k in ("detections", "matched", "references")
        ]
        print(f"{name}: {counts[0]} detections, {counts[1]} matched of {counts[2]} coherent patterns")
    print(f"{len(a)} scenes; pooled, paired scene-bootstrap 95 % interval ({args.bootstrap} draws)")
    print(f"{'':30}" + "".join(f"{name:>26}" for name in pooled))
    for key in FIGURES:
        cells = [
            f"{pooled[name][key]:8.3f} [{intervals[name][key][0]:7.3f}, {intervals[name][key][1]:7.3f}]"
            for name in pooled
        ]
        print(f"{key:30}" + "".join(f"{cell:>26}" for cell in cells))


if __name__ == "__main__":
    main()
