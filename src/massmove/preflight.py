"""What a run's config must pass before any job runs: one path for ``massmove check-config``
and the workflow's parse, so that the two cannot disagree.

1. the config itself (:func:`massmove.config.resolve_config`: schema, one line per bad key);
2. the area of interest of a real run (source asf or files): read and checked now (file
   found, readable, a CRS, a valid polygon of some area), not inside the first job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from massmove.asf.aoi import aoi_geometry
from massmove.config import resolve_config


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
    return config
