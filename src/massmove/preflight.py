"""What a run's config must pass before any job runs: one path for ``massmove check-config``
and the workflow's parse, so that the two cannot disagree.

1. the config itself (:func:`massmove.config.resolve_config`: schema, one line per bad key);
2. the area of interest of a real run (source asf or files): read and checked now (file
   found, readable, a CRS, a valid polygon of some area), not inside the first job;
3. the operators' checkpoints of ``model.checkpoints``: every member present, its weights and
   network description matching their sha256, the network it records, the config's channels
   and patch size (:func:`massmove.model.checkpoint.verify_member`), before hours of
   simulation or interferograms.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from massmove.asf.aoi import aoi_geometry
from massmove.config import resolve_config
from massmove.model.checkpoint import verify_member


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
    if config["source"] != "synthetic":
        aoi_geometry(config["aoi"], base_dir=base_dir)
    for member in config["model"]["checkpoints"]:
        path = Path(member).expanduser()
        verify_member(
            path if path.is_absolute() else Path(base_dir) / path,
            channels=config["model"]["channels"],
            patch_px=config["train"]["patch_px"],
        )
    return config
