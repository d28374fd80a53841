"""Snakemake adapter: QGIS styles beside a pair's interferogram and likelihood rasters."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.report import raster_styles_stage

with script_logging(snakemake.log[0]):
    raster_styles_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.product,
        snakemake.output.phase,
        snakemake.output.likelihood,
    )
