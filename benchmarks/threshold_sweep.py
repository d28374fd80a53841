"""How much the deployed detection setting loses against the best one, on finished scene runs.

For every run directory given (a held-out scene run of ``heldout_skill.py``, or any synthetic
run with its truth), the ensemble's likelihood of every pair is vectorised at every candidate
threshold and smallest area (``train.calibration`` of the default config unless
``--thresholds``/``--areas``) and scored against the pair's ``coherent`` truth at object IoU
0.4 by the calibration's own code (:func:`massmove.evaluate.calibration.calibration_table`:
counts pooled over the pairs of all runs, then proportions). Printed: the pooled F1 grid with
matched / detections, the best cell, the cell of the setting each run deployed (read from its
likelihood's calibration tags and the config's ``detection``), the deployed F1 over the best
F1, and scene-bootstrap 95 % intervals of the deployed and the best cell's F1 and of their ratio
(the best cell re-chosen in every draw, so the ratio's interval includes the optimism of
picking it). ``--setting T A`` scores another cell as the deployed one.

Usage: .venv/bin/python benchmarks/threshold_sweep.py RUN [RUN ...] [--json sweep.json]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from massmove.config import load_yaml, resolve_config
from massmove.evaluate.calibration import best_setting, calibration_table, pool_tables
from massmove.io.detection import detection_from_tags
from massmove.io.labels import read_labels
from massmove.io.raster_io import read_bands
from massmove.scores import format_score

Cell = tuple[float, float]


def scene_table(
    run_dir: Path, thresholds: Sequence[float], areas: Sequence[float], iou_threshold: float
) -> tuple[list[dict[str, Any]], Cell]:
    """The calibration table of the run's pairs (counts pooled over them); and the setting the
    run deployed."""
    config_path = run_dir / "heldout.yaml"
    user = load_yaml(config_path) if config_path.is_file() else {}
    config = resolve_config(user)
    likelihoods, references, deployed = {}, {}, set()
    for tif in sorted((run_dir / "results/likelihood").glob("*.tif")):
        bands, grid, tags = read_bands(tif, required=("likelihood_mean",))
        likelihoods[tif.stem] = (bands["likelihood_mean"], grid)
        truth = read_labels(run_dir / f"results/truth/{tif.stem}.gpkg", label_class="coherent")
        references[tif.stem] = [g for g in truth.to_crs(grid.crs).geometry if g is not None]
        settings = detection_from_tags(tags, config["detection"])
        deployed.add((settings.threshold, settings.min_area_m2))
    if len(deployed) != 1:
        raise SystemExit(f"{run_dir}: pairs deployed different settings {sorted(deployed)}")
    table = calibration_table(
        likelihoods, references, thresholds=thresholds, min_areas_m2=areas, iou_threshold=iou_threshold
    )
    return table, deployed.pop()


def by_cell(rows: Sequence[Mapping[str, Any]]) -> dict[Cell, Mapping[str, Any]]:
    """The rows of a table keyed by their (threshold, smallest area)."""
    return {(r["threshold"], r["min_area_m2"]): r for r in rows}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", type=Path, nargs="+", help="finished run directories (one scene each)")
    parser.add_argument("--thresholds", type=float, nargs="+", default=None)
    parser.add_argument("--areas", type=float, nargs="+", default=None, help="smallest areas in m2")
    parser.add_argument("--iou", type=float, default=0.4)
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument(
        "--setting",
        type=float,
        nargs=2,
        default=None,
        metavar=("THRESHOLD", "MIN_AREA_M2"),
        help="score this cell as the deployed one (e.g. a new default, without re-vectorising the runs)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    defaults = resolve_config()["train"]["calibration"]
    thresholds = args.thresholds or defaults["thresholds"]
    areas = args.areas or defaults["min_areas_m2"]
    scenes, deployed = [], set()
    for run in args.runs:
        table, setting = scene_table(run, thresholds, areas, args.iou)
        scenes.append(table)
        deployed.add(setting)
        print(f"{run}: deployed threshold {setting[0]:g}, smallest polygon {setting[1]:g} m2")
    if len(deployed) != 1 and args.setting is None:
        raise SystemExit(
            f"the runs deployed different settings {sorted(deployed)}; choose one with --setting"
        )
    own = deployed.pop() if args.setting is None else (args.setting[0], args.setting[1])
    rows = pool_tables(scenes)
    cells = by_cell(rows)
    if own not in cells:
        raise SystemExit(f"the deployed setting {own} is not on the grid; add it with --thresholds/--areas")
    best = best_setting(rows)
    best_cell = (best["threshold"], best["min_area_m2"])
    print(f"\npooled object F1 at IoU {args.iou} (matched / detections), {len(scenes)} scenes")
    print("threshold " + "".join(f"{a:>18,.0f}" for a in areas))
    for threshold in thresholds:
        line = f"{threshold:<10g}"
        for area in areas:
            r = cells[(threshold, area)]
            mark = "*" if (threshold, area) == own else ("^" if (threshold, area) == best_cell else " ")
            line += f"{format_score(r['f1'], 'f1'):>7} ({r['matched']:>3}/{r['detections']:>5}){mark}"
        print(line)
    print("* deployed, ^ best")
    rng = np.random.default_rng(0)
    draws: dict[str, list[float]] = {"deployed": [], "best": [], "ratio": []}
    for _ in range(args.bootstrap):
        sample = pool_tables([scenes[i] for i in rng.integers(len(scenes), size=len(scenes))])
        own_f1, top = by_cell(sample)[own]["f1"], best_setting(sample)["f1"]
        if own_f1 is not None and top:
            draws["deployed"].append(own_f1)
            draws["best"].append(top)
            draws["ratio"].append(own_f1 / top)
    intervals = {
        key: [float(v) for v in np.percentile(values, [2.5, 97.5])] for key, values in draws.items() if values
    }
    own_row = cells[own]
    own_f1, best_f1 = own_row["f1"], best["f1"]
    ratio = own_f1 / best_f1 if own_f1 is not None and best_f1 else None
    print(
        f"deployed {own}: F1 {format_score(own_f1, 'f1')} {intervals.get('deployed')} "
        f"({own_row['matched']} matched of {own_row['references']}, {own_row['detections']} detections)"
    )
    print(f"best {best_cell}: F1 {format_score(best_f1, 'f1')} {intervals.get('best')}")
    print(f"deployed / best: {format_score(ratio, 'f1')} {intervals.get('ratio')}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "runs": [str(r) for r in args.runs],
                    "deployed": own,
                    "best": best_cell,
                    "ratio": ratio,
                    "intervals": intervals,
                    "table": rows,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
