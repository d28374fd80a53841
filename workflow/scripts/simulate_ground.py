"""Snakemake adapter: simulate the ground scene of the synthetic source."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.simulate import simulate_ground_stage

with script_logging(snakemake.log[0]):
    settings = StageSettings.from_rule(snakemake.params.settings)
    out = snakemake.output
    simulate_ground_stage(settings, out.ground, out.dem, out.movements)
