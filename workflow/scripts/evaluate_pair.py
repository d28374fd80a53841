"""Snakemake adapter: one pair's detections and likelihood against its reference polygons."""

from massmove.evaluate.stages import evaluate_pair_stage
from massmove.logs import script_logging

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    evaluate_pair_stage(
        snakemake.config,  # noqa: F821
        snakemake.input.detections,  # noqa: F821
        snakemake.input.likelihood,  # noqa: F821
        snakemake.input.reference,  # noqa: F821
        snakemake.output.evaluation,  # noqa: F821
    )
