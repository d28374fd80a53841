"""Snakemake adapter: one pair's detections and likelihood against its reference polygons."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.evaluate import evaluate_pair_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    evaluate_pair_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.input.detections,  # noqa: F821
        snakemake.input.likelihood,  # noqa: F821
        snakemake.input.reference,  # noqa: F821
        snakemake.output.evaluation,  # noqa: F821
    )
