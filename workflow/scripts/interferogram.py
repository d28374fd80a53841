"""Snakemake adapter: interferogram product of one pair (built-in engine)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.interferogram import interferogram_stage

with script_logging(snakemake.log[0]):
    interferogram_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.wildcards.pair,
        snakemake.input.reference,
        snakemake.input.secondary,
        snakemake.input.dem,
        snakemake.output.product,
    )
