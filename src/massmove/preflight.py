"""What a run's config must pass before any job runs: one path for ``massmove check-config``
and the workflow's parse, so that the two cannot disagree.

1. the config itself (:func:`massmove.config.resolve_config`: schema, one line per bad key);
2. the area of interest of a real run (source asf or files): read and checked now (file
   found, readable, a CRS, a valid polygon of some area), not inside the first job;
3. arrays that cannot fit this machine (:mod:`massmove.io.memory`): a synthetic ground grid
   or product grid refused with the numbers, not a MemoryError hours later;
4. the operators' checkpoints of ``model.checkpoints``: every member present, its weights and
   network description matching their sha256, the network it records, the config's channels
   and patch size (:func:`massmove.model.checkpoint.verify_member`), before hours of
   simulation or interferograms.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from massmove.asf.credentials import check_trusted_hosts
from massmove.config import resolve_config
from massmove.io.memory import (
    GROUND_BYTES_PER_PX,
    PRODUCT_BYTES_PER_PX,
    refuse_beyond_memory,
    simulated_extent_km,
)


def refuse_oversized(config: Mapping[str, Any]) -> None:
    """A synthetic scene or product grid whose arrays cannot fit this machine, with the numbers."""
    if config["source"] == "synthetic":
        synthetic = config["synthetic"]
        width_km, height_km = simulated_extent_km(synthetic)
        spacing_km = synthetic["terrain"]["ground_spacing_m"] / 1000.0
        ground_px = (width_km / spacing_km) * (height_km / spacing_km)
        refuse_beyond_memory(
            ground_px * GROUND_BYTES_PER_PX,
            "config keys 'synthetic.extent_km' and 'synthetic.terrain.ground_spacing_m' "
            f"({ground_px:.3g} ground pixels)",
            "a smaller extent or a coarser ground spacing",
        )
        product_px = 1e6 * synthetic["extent_km"][0] * synthetic["extent_km"][1] / config["posting_m"] ** 2
        refuse_beyond_memory(
            product_px * PRODUCT_BYTES_PER_PX,
            f"config key 'posting_m' ({product_px:.3g} product pixels)",
            "a coarser posting or a smaller extent",
        )


def check_run_config(
    user_config: Mapping[str, Any] | None,
    schema_path: str | Path | None = None,
    *,
    base_dir: str | Path = ".",
) -> dict[str, Any]:
    """The full, validated config of a run whose inputs named in it are readable.

    Raises :class:`massmove.errors.MassmoveError` with one line naming the key or the file.
    """
    config = resolve_config(user_config, schema_path)
    check_trusted_hosts(config["download"]["credential_hosts"])
    refuse_oversized(config)
    # imported only when needed: the workflow parses this on every call (geopandas, torch)
    if config["source"] != "synthetic":
        from massmove.asf.aoi import aoi_geometry

        aoi_geometry(config["aoi"], base_dir=base_dir)
    if config["model"]["checkpoints"]:
        from massmove.model.checkpoint import verify_member
    for member in config["model"]["checkpoints"]:
        path = Path(member).expanduser()
        verify_member(
            path if path.is_absolute() else Path(base_dir) / path,
            channels=config["model"]["channels"],
            patch_px=config["train"]["patch_px"],
        )
    return config
