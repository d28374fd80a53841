"""Stages of the synthetic scene's rules (``simulate.smk``): the pair table, the ground, the SLC
acquisitions and the truth of each pair."""

from __future__ import annotations

from pathlib import Path

from massmove.pairs import synthetic_pairs, write_pair_table
from massmove.settings import StageSettings


def pairs_stage(config: StageSettings, pairs_csv: str | Path) -> None:
    """Write ``results/pairs.csv``."""
    write_pair_table(synthetic_pairs(config), pairs_csv)


def simulate_ground_stage(
    config: StageSettings, ground_store: str | Path, dem_tif: str | Path, movements_gpkg: str | Path
) -> None:
    """Simulate the ground; write the ground store, the processor's DEM and the movement inventory."""
    from massmove.simulate.scene import write_ground_products

    write_ground_products(config, ground_store, dem_tif, movements_gpkg)


def simulate_acquisition_stage(
    config: StageSettings, ground_store: str | Path, scene_id: str, slc_store: str | Path
) -> None:
    """Simulate one SLC acquisition and write its store."""
    from massmove.simulate.scene import write_acquisition

    write_acquisition(config, ground_store, scene_id, slc_store)


def simulate_truth_stage(
    config: StageSettings,
    ground_store: str | Path,
    dem_tif: str | Path,
    pair_id: str,
    patterns_gpkg: str | Path,
    phase_tif: str | Path,
) -> None:
    """Write the truth of one pair: visible patterns and the noise-free phase and coherence."""
    from massmove.simulate.scene import write_pair_truth

    write_pair_truth(config, ground_store, dem_tif, pair_id, patterns_gpkg, phase_tif)
