"""Snakemake adapter: detections of every pair merged."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.detect import merge_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    merge_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.input.detections,  # noqa: F821
        snakemake.output.merged,  # noqa: F821
    )
