"""Statistics of the synthetic scenes' visible patterns, to set beside the study's.

For each seed: the ground of the default config (or ``--configfile``) with that seed, then for
every pair the patterns the truth's own rules (``massmove.simulate.truth.visible_patterns``,
``synthetic.truth``) call ``coherent``, rasterised as training labels. Printed: coherent
patterns per pair, their area percentiles and log-area histogram (roll-over; the study's
mapped inventory rolls over at about 5,600 m2), and the labelled share of the pixels of
positive patches (``train.patch_px`` at ``train.stride_px``; the study: about 20 %).

Approximation (fast: seconds per seed, no SLCs): the readability coherence given to the rules
is the background coherence of each pixel divided by the surface disruption of its motion,
``1 + |v| / v_disruption``, not the simulated signal coherence of the full truth stage;
counts can differ by a pattern or two per pair from the truth products. Without the truth
stage's noise-free phase, patterns are read against phase noise alone, not against the clutter
of their surroundings (``synthetic.truth.min_contrast_to_clutter``), so the counts here are an
upper bound of the truth products'.

Usage: .venv/bin/python benchmarks/scene_statistics.py --seeds 101 102 103 104
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from massmove.config import deep_merge, load_yaml, resolve_config
from massmove.model.patches import rasterise_labels
from massmove.pairs import synthetic_pairs
from massmove.raster import sample_on_grid
from massmove.simulate.ground import product_grid, simulate_ground
from massmove.simulate.imaging import track_context
from massmove.simulate.truth import background_coherence, visible_patterns


def coherent_masks(config: Mapping[str, Any]) -> list[tuple[str, list[float], NDArray[np.uint8]]]:
    """Per pair: its id, the areas (m2) of its coherent patterns and their label raster."""
    ground = simulate_ground(config)
    grid = product_grid(config)
    disruption = config["synthetic"]["landslides"]["disruption_velocity_m_per_yr"]
    east, north = grid.centres()
    speed = np.hypot.reduce([sample_on_grid(ground.grid, v, east, north) for v in ground.velocity_m_per_yr])
    contexts: dict[str, Any] = {}
    results = []
    for pair in synthetic_pairs(config):
        context = contexts.setdefault(pair.track, track_context(config, ground, pair.track))
        readability = background_coherence(config, ground, context, pair, grid) / (1 + speed / disruption)
        patterns = visible_patterns(config, ground, context, pair, grid, readability.astype(np.float32), None)
        coherent = patterns[patterns["class"] == "coherent"]
        results.append((pair.pair_id, list(coherent["area_m2"]), rasterise_labels(coherent, grid)))
    return results


def positive_patch_shares(mask: NDArray[np.uint8], patch_px: int, stride_px: int) -> list[float]:
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
