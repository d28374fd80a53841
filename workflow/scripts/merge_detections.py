"""Snakemake adapter: detections of every pair merged, with their support across pairs."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.detect import merge_stage

with script_logging(snakemake.log[0]):
    merge_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.detections,
        snakemake.input.likelihoods,
        snakemake.input.products,
        snakemake.input.dem[0] if snakemake.input.dem else None,
        snakemake.output.merged,
    )
