"""Weight and build time of the run report for a canton-sized run, against the demo's size.

Writes, for each of ``--pairs`` pairs, a product (wrapped phase, coherence) and a likelihood
(mean, spread) of ``--area-km2`` at 12.5 m into a temporary folder, with ``--detections``
polygons per pair (the classical baseline finds about 400 per 100 km2 and pair) and as many
reference patterns, then builds the report with :func:`massmove.report.html.build_report` in
this process and prints its size, the seconds it took and this process's peak RSS.

The rasters are a hard case for the report's JPEGs: a smooth deformation-like phase over half
the area and pure phase noise (coherence 0.1) over the other half, as in an alpine scene
with forest and meadow. A demo-sized run (100 km2, 4 pairs) is built beside it, in the same
process, for the ratio.

Usage: .venv/bin/python benchmarks/report_size.py [--area-km2 5000] [--pairs 4] [--detections 2000]
"""

from __future__ import annotations

import argparse
import math
import resource
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from massmove.grid import Grid
from massmove.io.raster_io import write_cog
from massmove.report.html import build_report


def scene_files(folder: Path, area_km2: float, pairs: int, detections: int, seed: int = 0) -> list[dict]:
    """The report's pair records of a synthetic run of ``area_km2``."""
    side_px = int(math.sqrt(area_km2 * 1e6) / 12.5)
    grid = Grid(2_550_000.0, 1_150_000.0, 12.5, side_px, side_px, "EPSG:2056")
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:side_px, 0:side_px].astype(np.float32)
    smooth = np.sin(rows / 97.0) * 3.0 + np.cos(cols / 131.0) * 3.0
    noisy = cols > side_px / 2
    records = []
    for index in range(pairs):
        pair_id = f"A088_201808{index + 1:02d}_201808{index + 13:02d}"
        phase = np.angle(np.exp(1j * (smooth + index))).astype(np.float32)
        phase[noisy] = rng.uniform(-np.pi, np.pi, int(noisy.sum())).astype(np.float32)
        coherence = np.where(noisy, 0.1, 0.7).astype(np.float32)
        mean = rng.uniform(0.0, 0.4, grid.shape).astype(np.float32)
        tags = {"pair_id": pair_id, "track": "A088"}
        product, likelihood = folder / f"{pair_id}.tif", folder / f"{pair_id}_likelihood.tif"
        write_cog(product, [phase, coherence], ["wrapped_phase", "coherence"], grid, tags)
        write_cog(likelihood, [mean, mean / 4], ["likelihood_mean", "likelihood_spread"], grid, tags)
        west, south, east, north = grid.bounds
        centres = rng.uniform((west + 500, south + 500), (east - 500, north - 500), size=(2 * detections, 2))
        boxes = [shapely.box(x - 100, y - 100, x + 100, y + 100) for x, y in centres]
        found = gpd.GeoDataFrame({"likelihood_max": rng.uniform(0.5, 1.0, detections)},
                                 geometry=boxes[:detections], crs=grid.crs)  # fmt: skip
        reference = gpd.GeoDataFrame(geometry=boxes[detections:], crs=grid.crs)
        layers = {"detections": found, "baseline": found}
        records.append(
            {"pair_id": pair_id, "interferogram": product, "likelihood": likelihood, "reference": reference,
             "layers": layers}
        )  # fmt: skip
    return records


def measure(area_km2: float, pairs: int, detections: int) -> tuple[float, float]:
    """(report size in MB, build seconds) of one synthetic run."""
    with tempfile.TemporaryDirectory() as tmp:
        records = scene_files(Path(tmp), area_km2, pairs, detections)
        start = time.perf_counter()
        text = build_report(title="size", pairs=records, evaluations={}, provenance={}, benchmark_dir=tmp)
        return len(text.encode()) / 1e6, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--area-km2", type=float, default=5000.0)
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--detections", type=int, default=2000)
    args = parser.parse_args()
    demo = measure(100.0, args.pairs, 30)
    print(
        f"demo-sized (100 km2, {args.pairs} pairs, 30 detections each): {demo[0]:.1f} MB in {demo[1]:.1f} s"
    )
    large = measure(args.area_km2, args.pairs, args.detections)
    print(
        f"{args.area_km2:,.0f} km2, {args.pairs} pairs, {args.detections} detections each: "
        f"{large[0]:.1f} MB in {large[1]:.1f} s ({large[0] / demo[0]:.1f}x the size, "
        f"{large[1] / demo[1]:.1f}x the time)"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
