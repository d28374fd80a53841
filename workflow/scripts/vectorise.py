"""Snakemake adapter: detection polygons of one pair."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.detect import vectorise_stage

with script_logging(snakemake.log[0]):
    vectorise_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.likelihood,
        snakemake.output.detections,
    )
