"""Snakemake adapter: simulate the ground scene of the synthetic source."""

from massmove.logs import script_logging
from massmove.stages import simulate_ground_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    out = snakemake.output  # noqa: F821
    simulate_ground_stage(snakemake.config, out.ground, out.dem, out.movements)  # noqa: F821
