"""Stage of the built-in engine's rule (``interferogram.smk``)."""

from __future__ import annotations

from pathlib import Path

from massmove.pairs import find_pair
from massmove.settings import StageSettings


def interferogram_stage(
    config: StageSettings,
    pair_id: str,
    reference_store: str | Path,
    secondary_store: str | Path,
    dem_tif: str | Path,
    product_tif: str | Path,
) -> None:
    """Build the interferogram product of one pair with the built-in engine."""
    from massmove.insar.product import write_builtin_product
    from massmove.products import product_grid_for

    pair = find_pair(config, pair_id)
    write_builtin_product(
        config, pair, reference_store, secondary_store, dem_tif, product_grid_for(config), product_tif
    )
