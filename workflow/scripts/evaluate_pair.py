"""Snakemake adapter: one pair's detections and likelihood against its reference polygons."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.evaluate import evaluate_pair_stage

with script_logging(snakemake.log[0]):
    evaluate_pair_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.detections,
        snakemake.input.likelihood,
        snakemake.input.reference,
        snakemake.output.evaluation,
    )
