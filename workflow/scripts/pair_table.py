"""Snakemake adapter: write the pair table."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.simulate import pairs_stage

with script_logging(snakemake.log[0]):
    pairs_stage(StageSettings.from_rule(snakemake.params.settings), snakemake.output.pairs)
