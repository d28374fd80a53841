"""Snakemake adapter: detections of every pair merged."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.detect import merge_stage

with script_logging(snakemake.log[0]):
    merge_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.detections,
        snakemake.output.merged,
    )
