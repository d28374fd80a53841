"""Support rules side by side on finished scene runs, without rerunning the workflow.

For each scene directory that ``benchmarks/heldout_skill.py`` left (products, likelihoods,
per-pair detections and truth of both detectors), re-merges the detections and re-scores the
confirmed ones with this checkout's ``merge_stage`` and the evaluation's support scores, once
per rule (``--rules``: ``every`` counts every supporting pair, ``independent`` only pairs that
share no acquisition), at ``--min-support``. Each rule's files go to ``OUT/{rule}/seed{seed}/``
in the layout ``benchmarks/support_skill.py`` reads (``OUT/{rule}_share{s}/`` for a support
bar ``--likelihood-shares`` other than 1) (``results/evaluation.json`` and
``results/baseline/evaluation.json`` with their ``support`` block), so that each rule is pooled
with its scene-bootstrap intervals by::

    .venv/bin/python benchmarks/support_skill.py OUT/independent/seed*

Usage: .venv/bin/python benchmarks/support_rules.py SCENE_DIR ... --out OUT
       [--rules every independent] [--min-support 2] [--likelihood-shares 1.0 0.8]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from massmove.config import deep_merge, load_yaml, resolve_config
from massmove.settings import StageSettings
from massmove.stages.detect import merge_stage
from massmove.stages.evaluate import _support_scores

REPO = Path(__file__).resolve().parents[1]
TREES = ("results", "results/baseline")


def rejudge(scene: Path, out: Path, *, independent: bool, min_support: int, likelihood_share: float) -> None:
    """Merge and score one scene's detections of both detectors under one rule."""
    overrides = load_yaml(scene / "heldout.yaml")
    support = {"independent_pairs": independent, "min_likelihood_share": likelihood_share}
    rule = {"detection": {"min_support": min_support, "support": support}}
    config = resolve_config(deep_merge(deep_merge(load_yaml(REPO / "config/config.yaml"), overrides), rule))
    for tree in TREES:
        pairs = sorted(p.stem for p in (scene / tree / "likelihood").glob("*.tif"))
        likelihoods = [scene / tree / f"likelihood/{p}.tif" for p in pairs]
        merged = out / tree / "detections.gpkg"
        merge_stage(
            StageSettings.of("merge_detections", config),
            [scene / tree / f"detections/{p}.gpkg" for p in pairs],
            likelihoods,
            [scene / f"results/interferograms/{p}.tif" for p in pairs],
            scene / "resources/dem/synthetic_dem.tif",
            merged,
        )
        references = {p: scene / f"results/truth/{p}.gpkg" for p in pairs}
        support = _support_scores(StageSettings.of("evaluation", config), merged, references, likelihoods)
        (out / tree / "evaluation.json").write_text(json.dumps({"support": support}, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenes", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--rules", nargs="+", choices=("every", "independent"), default=["every", "independent"]
    )
    parser.add_argument("--min-support", type=int, default=2)
    parser.add_argument("--likelihood-shares", type=float, nargs="+", default=[1.0])
    args = parser.parse_args()
    for rule in args.rules:
        for share in args.likelihood_shares:
            name = rule if share == 1.0 else f"{rule}_share{share:g}"
            for scene in args.scenes:
                rejudge(
                    scene,
                    args.out / name / scene.name,
                    independent=rule == "independent",
                    min_support=args.min_support,
                    likelihood_share=share,
                )
                print(f"{name}: {scene.name} merged and scored")


if __name__ == "__main__":
    main()
