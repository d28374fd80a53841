"""The product grid a config asks for: the synthetic scene's, or the AOI's for real data."""

from __future__ import annotations

from massmove.errors import ConfigError
from massmove.grid import Grid
from massmove.settings import StageSettings


def product_grid_for(config: StageSettings) -> Grid:
    """The product grid the config asks for."""
    if config["source"] == "synthetic":
        from massmove.simulate.ground import product_grid

        return product_grid(config)
    if config["source"] == "asf":
        from massmove.asf.aoi import aoi_geometry, aoi_grid

        return aoi_grid(aoi_geometry(config["aoi"]), config["crs"], config["posting_m"])
    raise ConfigError(f"config key 'source': no product grid for source {config['source']!r}")
