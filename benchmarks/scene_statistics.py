"""Statistics of the synthetic scenes' visible patterns, to set beside the study's.

For each seed: the ground of the default config (or ``--configfile``) with that seed, then for
every pair the deformation phase and the background coherence on the product grid, and the
movements the truth's rules (``synthetic.truth``) would call ``coherent``. Printed: coherent
patterns per pair, their area percentiles and log-area histogram (roll-over; the study's
mapped inventory rolls over at about 5,600 m2), and the labelled share of the pixels of
positive patches (``train.patch_px`` at ``train.stride_px``; the study: about 20 %).

Approximation (fast: seconds per seed, no SLCs): the readability coherence is the background
coherence of the body divided by the motion's surface disruption ``1 + v / v_disruption``,
not the simulated signal coherence of the full truth stage; counts can differ by a pattern
or two per pair from the truth products.

Usage: .venv/bin/python benchmarks/scene_statistics.py --seeds 101 102 103 104
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from massmove.config import deep_merge, load_yaml, resolve_config
from massmove.pairs import synthetic_pairs
from massmove.raster import sample_nearest
from massmove.simulate.ground import product_grid, simulate_ground
from massmove.simulate.imaging import track_context
from massmove.simulate.truth import background_coherence, deformation_phase


def coherent_masks(config: Mapping[str, Any]) -> list[tuple[str, list[float], NDArray[np.bool_]]]:
    """Per pair: its id, the areas (m2) of its coherent patterns and their union mask."""
    ground = simulate_ground(config)
    grid = product_grid(config)
    rules = config["synthetic"]["truth"]
    disruption = config["synthetic"]["landslides"]["disruption_velocity_m_per_yr"]
    east, north = grid.centres()
    body_id = sample_nearest(ground.grid, ground.movement_id, east, north, fill=0)
    contexts: dict[str, Any] = {}
    results = []
    for pair in synthetic_pairs(config):
        context = contexts.setdefault(pair.track, track_context(config, ground, pair.track))
        phase = deformation_phase(ground, context, pair, grid)
        gradient = np.hypot(*np.gradient(phase))
        background = background_coherence(config, ground, context, pair, grid)
        mask = np.zeros(grid.shape, dtype=bool)
        areas_m2 = []
        for movement in ground.movements:
            inside = body_id == movement.movement_id
            if inside.sum() < 2:
                continue
            background_median = float(np.median(background[inside]))
            readability = background_median / (1 + movement.velocity_m_per_yr / disruption)
            visible = (
                np.abs(phase[inside]).max() >= rules["min_phase_rad"]
                and background_median >= rules["min_coherence"]
            )
            readable = (
                np.percentile(gradient[inside], 90) <= rules["max_gradient_rad_per_px"]
                and readability >= rules["min_coherence"]
            )
            if visible and readable:
                mask |= inside
                areas_m2.append(float(inside.sum()) * grid.spacing_m**2)
        results.append((pair.pair_id, areas_m2, mask))
    return results


def positive_patch_shares(mask: NDArray[np.bool_], patch_px: int, stride_px: int) -> list[float]:
    """Labelled share of every patch (on the training patch grid) holding a labelled pixel."""
    shares = []
    for row in range(0, mask.shape[0] - patch_px + 1, stride_px):
        for col in range(0, mask.shape[1] - patch_px + 1, stride_px):
            share = float(mask[row : row + patch_px, col : col + patch_px].mean())
            if share > 0:
                shares.append(share)
    return shares


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104])
    parser.add_argument("--configfile", help="a config whose values override the defaults")
    args = parser.parse_args(argv)
    base = resolve_config(load_yaml(args.configfile) if args.configfile else None)
    counts, areas_m2, shares = [], [], []
    for seed in args.seeds:
        config = deep_merge(base, {"synthetic": {"seed": seed}})
        for _pair_id, pair_areas, mask in coherent_masks(config):
            counts.append(len(pair_areas))
            areas_m2.extend(pair_areas)
            shares.extend(
                positive_patch_shares(mask, config["train"]["patch_px"], config["train"]["stride_px"])
            )
    area = np.asarray(areas_m2)
    print(f"seeds {args.seeds}: coherent patterns per pair {counts}")
    print("coherent area m2, percentiles 10/50/90:", np.percentile(area, [10, 50, 90]).round(-2))
    histogram, edges = np.histogram(np.log10(area), bins=np.arange(3.0, 7.01, 0.25))
    for low, high, count in zip(edges[:-1], edges[1:], histogram, strict=True):
        print(f"  10^{low:.2f} to 10^{high:.2f} m2: {count}")
    print(
        f"positive patches {len(shares)}: labelled share mean {np.mean(shares):.3f}, "
        f"median {np.median(shares):.3f} (study: about 0.2)"
    )


if __name__ == "__main__":
    main()
