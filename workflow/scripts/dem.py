"""Snakemake adapter: DEM of the AOI."""

from massmove.logs import script_logging
from massmove.stages import dem_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    dem_stage(snakemake.config, snakemake.output.dem, snakemake.output.tiles)  # noqa: F821
