"""Snakemake adapter: evaluation figures pooled over every pair."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.evaluate import evaluation_stage

with script_logging(snakemake.log[0]):
    evaluation_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.pairs,
        snakemake.output.evaluation,
        merged_gpkg=snakemake.input.merged,
        references=dict(zip(snakemake.params.pairs, snakemake.input.references, strict=True)),
        likelihood_tifs=snakemake.input.likelihoods,
    )
