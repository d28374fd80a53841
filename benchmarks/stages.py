"""Time every stage of the synthetic chain for a config (the default scene by default).

Runs the stages in this process, one after the other, in a temporary directory, and prints
wall time and peak memory growth per stage. Usage::

    .venv/bin/python benchmarks/stages.py [--config PARTIAL.yaml] [--keep DIR]

Single-process timings add up the work; ``snakemake --cores 2`` runs the acquisitions and
pairs two at a time, so the workflow's wall time is shorter (see README).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from massmove.config import load_yaml, resolve_config
from massmove.pairs import synthetic_acquisitions, synthetic_pairs
from massmove.settings import StageSettings
from massmove.stages.interferogram import interferogram_stage
from massmove.stages.simulate import simulate_acquisition_stage, simulate_ground_stage, simulate_truth_stage


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="partial config (YAML) over the defaults")
    parser.add_argument("--keep", help="write the products here instead of a temporary directory")
    args = parser.parse_args()
    config = resolve_config(load_yaml(args.config) if args.config else None)
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="massmove-bench-"))
    rows: list[tuple[str, float, float]] = []

    def timed(name: str, func, *func_args) -> None:
        start = time.perf_counter()
        func(*func_args)
        rows.append((name, time.perf_counter() - start, peak_rss_mb()))
        print(f"{name:<45s} {rows[-1][1]:8.1f} s   peak RSS {rows[-1][2]:7.0f} MB", flush=True)

    ground = workdir / "resources/synthetic/ground.zarr"
    dem = workdir / "resources/dem/synthetic_dem.tif"
    timed(
        "simulate_ground",
        simulate_ground_stage,
        StageSettings.from_config("simulate_ground", config),
        ground,
        dem,
        workdir / "results/truth/movements.gpkg",
    )
    for track in config["tracks"]:
        for acquisition in synthetic_acquisitions(config, track):
            store = workdir / f"resources/slc/{acquisition.scene_id}.zarr"
            timed(
                f"simulate {acquisition.scene_id}",
                simulate_acquisition_stage,
                StageSettings.from_config("simulate", config),
                ground,
                acquisition.scene_id,
                store,
            )
    for pair in synthetic_pairs(config):
        truth = workdir / f"results/truth/{pair.pair_id}"
        timed(
            f"simulate_truth {pair.pair_id}",
            simulate_truth_stage,
            StageSettings.from_config("simulate_truth", config),
            ground,
            dem,
            pair.pair_id,
            f"{truth}.gpkg",
            f"{truth}_phase.tif",
        )
    for pair in synthetic_pairs(config):
        slc = workdir / "resources/slc"
        timed(
            f"interferogram {pair.pair_id}",
            interferogram_stage,
            StageSettings.from_config("interferogram", config),
            pair.pair_id,
            slc / f"{pair.reference.scene_id}.zarr",
            slc / f"{pair.secondary.scene_id}.zarr",
            dem,
            workdir / f"results/interferograms/{pair.pair_id}.tif",
        )
    by_stage: dict[str, float] = {}
    for name, seconds, _ in rows:
        by_stage[name.split()[0]] = by_stage.get(name.split()[0], 0.0) + seconds
    total = sum(by_stage.values())
    print("\nstage totals (one process):")
    for name, seconds in by_stage.items():
        print(f"  {name:<20s} {seconds:8.1f} s  {100 * seconds / total:5.1f} %")
    print(f"  {'all':<20s} {total:8.1f} s")
    print(f"products in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
