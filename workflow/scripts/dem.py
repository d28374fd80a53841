"""Snakemake adapter: DEM of the AOI."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.download import dem_stage

with script_logging(snakemake.log[0]):
    settings = StageSettings.from_rule(snakemake.params.settings)
    dem_stage(settings, snakemake.output.dem, snakemake.output.tiles)
