"""Snakemake adapter: simulate the ground scene of the synthetic source."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.sources import simulate_ground_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    settings = StageSettings.from_rule(snakemake.params.settings)  # noqa: F821
    out = snakemake.output  # noqa: F821
    simulate_ground_stage(settings, out.ground, out.dem, out.movements)  # noqa: F821
