"""Snakemake adapter: simulate one SLC acquisition."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.simulate import simulate_acquisition_stage

with script_logging(snakemake.log[0]):
    simulate_acquisition_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.ground,
        snakemake.wildcards.scene,
        snakemake.output.slc,
    )
