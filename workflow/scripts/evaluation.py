"""Snakemake adapter: evaluation figures pooled over every pair."""

from massmove.evaluate.stages import evaluation_stage
from massmove.logs import script_logging

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    evaluation_stage(
        snakemake.config,  # noqa: F821
        snakemake.input.pairs,  # noqa: F821
        snakemake.output.evaluation,  # noqa: F821
    )
