"""Snakemake adapter: DEM of the AOI."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.sources import dem_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    settings = StageSettings.from_rule(snakemake.params.settings)  # noqa: F821
    dem_stage(settings, snakemake.output.dem, snakemake.output.tiles)  # noqa: F821
