"""Snakemake adapter: truth of one synthetic pair."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.simulate import simulate_truth_stage

with script_logging(snakemake.log[0]):
    simulate_truth_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.ground,
        snakemake.input.dem,
        snakemake.wildcards.pair,
        snakemake.output.patterns,
        snakemake.output.phase,
    )
