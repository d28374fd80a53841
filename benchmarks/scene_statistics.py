"""Statistics of the synthetic scenes' visible patterns, beside real inventories' figures.

For each seed, the workflow runs the default config (or ``--configfile``) with
``synthetic.seed`` set to it, up to the truth of every pair (ground, DEM, truth: no SLCs, about
4 minutes of one core per seed); finished seeds are reused. The statistics are those of the
**visible coherent patterns** of the truth products (``results/truth/{pair}.gpkg``, class
``coherent``), not of the moving bodies:

* count per 100 km2 and interferogram (the study: about 4.8; ISSLIDE: 5.5), with faint and
  incoherent patterns beside;
* area percentiles (ISSLIDE: 10/25/50/75/90 % at 15,300 / 21,900 / 45,600 / 70,900 / 90,200
  m2, largest 0.5 km2) and the magnitude-frequency in log bins with its roll-over (the study's
  mapped inventory rolls over at about 5,600 m2);
* labelled share of the pixels of positive patches (``train.patch_px`` at ``train.stride_px``;
  ISSLIDE about 2-3 %);
* Clark-Evans R of the pattern centroids per interferogram (ISSLIDE about 0.5; 1 is random,
  below 1 clustered), with Donnelly's edge correction;
* elevation and land-cover histograms of the patterns, and their kinds.

Usage: .venv/bin/python benchmarks/scene_statistics.py --seeds 301 302 303 304 305 306 307 308
       [--workdir /tmp/scenes] [--cores 2] [--configfile my.yaml]
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray
from scene_runs import run_workflow

from massmove.config import deep_merge, load_yaml, resolve_config
from massmove.grid import sample_nearest, sample_on_grid
from massmove.io.labels import rasterise_labels
from massmove.pairs import synthetic_pairs
from massmove.simulate.ground import product_grid, read_ground
from massmove.simulate.landcover import LandCover

ISSLIDE_AREA_PERCENTILES = {10: 15300, 25: 21900, 50: 45600, 75: 70900, 90: 90200}
CLASSES = ("coherent", "faint", "incoherent")


def run_truth(scene_dir: Path, config: Mapping[str, Any], *, base_config: Path | None, cores: int) -> None:
    """Run the workflow up to every pair's truth in ``scene_dir`` (stops on failure)."""
    targets = [f"results/truth/{pair.pair_id}.gpkg" for pair in synthetic_pairs(config)]
    overrides = {"synthetic": {"seed": config["synthetic"]["seed"]}}
    run_workflow(scene_dir, overrides, targets, base_config=base_config, cores=cores, name="scene")


def clark_evans(points: NDArray[np.float64], area_m2: float, perimeter_m: float) -> float:
    """Clark-Evans ratio of a point pattern with Donnelly's edge correction (NaN below 3 points)."""
    n = len(points)
    if n < 3:
        return math.nan
    distance = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(distance, np.inf)
    observed = float(distance.min(axis=1).mean())
    expected = 0.5 * math.sqrt(area_m2 / n) + (0.0514 + 0.041 / math.sqrt(n)) * perimeter_m / n
    return observed / expected


def patch_shares(mask: NDArray[np.uint8], patch_px: int, stride_px: int) -> list[float]:
    """Labelled share of every patch (training patch grid) holding a labelled pixel."""
    shares = []
    for row in range(0, mask.shape[0] - patch_px + 1, stride_px):
        for col in range(0, mask.shape[1] - patch_px + 1, stride_px):
            share = float(mask[row : row + patch_px, col : col + patch_px].mean())
            if share > 0:
                shares.append(share)
    return shares


def scene_statistics(scene_dir: Path, config: Mapping[str, Any]) -> dict[str, Any]:
    """Per-pair statistics of one finished scene directory."""
    grid = product_grid(config)
    west, south, east, north = grid.bounds
    area_m2 = (east - west) * (north - south)
    ground = read_ground(scene_dir / "resources/synthetic/ground.zarr")
    result: dict[str, Any] = {"pairs": [], "areas_m2": [], "shares": [], "R": [], "heights_m": []}
    result.update({"cover": Counter(), "kinds": Counter()})
    for pair in synthetic_pairs(config):
        truth = gpd.read_file(scene_dir / f"results/truth/{pair.pair_id}.gpkg")
        counts = {name: int((truth["class"] == name).sum()) for name in CLASSES}
        result["pairs"].append(counts)
        coherent = truth[truth["class"] == "coherent"]
        result["areas_m2"].extend(coherent["area_m2"].tolist())
        mask = rasterise_labels(coherent, grid)
        result["shares"].extend(patch_shares(mask, config["train"]["patch_px"], config["train"]["stride_px"]))
        centroids = np.array([[g.centroid.x, g.centroid.y] for g in coherent.geometry]).reshape(-1, 2)
        result["R"].append(clark_evans(centroids, area_m2, 2 * (east - west + north - south)))
        if len(centroids):
            result["heights_m"].extend(
                sample_on_grid(ground.grid, ground.height_m, centroids[:, 0], centroids[:, 1]).tolist()
            )
            cover = sample_nearest(ground.grid, ground.landcover, centroids[:, 0], centroids[:, 1], fill=0)
            result["cover"].update(LandCover(int(c)).name.lower() for c in cover)
        result["kinds"].update(coherent["kind"])
    result["area_km2"] = area_m2 / 1e6
    return result


def report(scenes: Sequence[Mapping[str, Any]]) -> None:
    """Print the pooled statistics beside the reference figures."""
    pairs = [p for s in scenes for p in s["pairs"]]
    area_km2 = scenes[0]["area_km2"]
    per_100 = {name: 100 * np.mean([p[name] for p in pairs]) / area_km2 for name in CLASSES}
    print(f"{len(scenes)} scenes, {len(pairs)} interferograms of {area_km2:.0f} km2")
    print(
        f"visible coherent patterns per 100 km2 and interferogram: {per_100['coherent']:.2f} "
        f"(study about 4.8, ISSLIDE 5.5); per scene mean: "
        + ", ".join(f"{100 * np.mean([p['coherent'] for p in s['pairs']]) / area_km2:.1f}" for s in scenes)
    )
    print(
        f"  faint {per_100['faint']:.2f}, incoherent {per_100['incoherent']:.2f} "
        "per 100 km2 and interferogram"
    )
    area = np.asarray([a for s in scenes for a in s["areas_m2"]])
    print(f"coherent patterns in all: {len(area)}; area m2 percentiles (ISSLIDE in brackets):")
    for q, reference in ISSLIDE_AREA_PERCENTILES.items():
        print(f"  {q:>2} %: {np.percentile(area, q):>9,.0f}  ({reference:,})")
    print(f"  largest: {area.max():,.0f} (ISSLIDE 500,000)")
    edges = np.arange(3.0, 6.51, 0.25)
    histogram, _ = np.histogram(np.log10(area), bins=edges)
    peak = int(np.argmax(histogram))
    print(
        "magnitude-frequency (per 0.25 log10 bin), roll-over at "
        f"10^{edges[peak]:.2f}-10^{edges[peak + 1]:.2f} m2:"
    )
    for low, count in zip(edges[:-1], histogram, strict=True):
        print(f"  10^{low:.2f}: {count:>4} {'#' * int(count)}")
    shares = np.asarray([x for s in scenes for x in s["shares"]])
    print(
        f"labelled share of positive patches: mean {shares.mean():.3f}, "
        f"median {np.median(shares):.3f} (ISSLIDE 0.02-0.03)"
    )
    ratios = np.asarray([r for s in scenes for r in s["R"] if np.isfinite(r)])
    print(
        f"Clark-Evans R per interferogram (>= 3 patterns, {len(ratios)} of {len(pairs)}): "
        f"median {np.median(ratios):.2f}, mean {ratios.mean():.2f} (ISSLIDE about 0.5)"
    )
    heights = np.asarray([h for s in scenes for h in s["heights_m"]])
    counts, bins = np.histogram(heights, bins=np.arange(0, 4001, 500))
    print(
        "elevation of coherent patterns: "
        + ", ".join(f"{b:.0f}-{b + 500:.0f} m: {c}" for b, c in zip(bins[:-1], counts, strict=True))
    )
    cover = sum((s["cover"] for s in scenes), Counter())
    kinds = sum((s["kinds"] for s in scenes), Counter())
    print("land cover at pattern centroids: " + ", ".join(f"{k}: {v}" for k, v in cover.most_common()))
    print("kinds of coherent patterns: " + ", ".join(f"{k}: {v}" for k, v in kinds.most_common()))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--workdir", type=Path, default=Path("scenes"), help="one run directory per seed")
    parser.add_argument("--configfile", type=Path, default=None, help="base config (default: the repo's)")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args(argv)
    base = resolve_config(load_yaml(args.configfile) if args.configfile else {})
    scenes = []
    for seed in args.seeds:
        config = deep_merge(base, {"synthetic": {"seed": seed}})
        scene_dir = args.workdir / f"seed{seed}"
        run_truth(scene_dir, config, base_config=args.configfile, cores=args.cores)
        scenes.append(scene_statistics(scene_dir, config))
    report(scenes)


if __name__ == "__main__":
    main()
