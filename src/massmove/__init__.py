"""massmove: from Sentinel-1 SLC pairs to mapped mass movements.

The package holds all logic; the Snakemake workflow in ``workflow/`` only calls it.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("massmove")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

logger = logging.getLogger("massmove")

__all__ = ["__version__", "logger"]
