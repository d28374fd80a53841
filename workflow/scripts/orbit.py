"""Snakemake adapter: orbit file of one scene."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.download import orbit_stage

with script_logging(snakemake.log[0]):
    orbit_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.wildcards.scene,
        snakemake.input.scenes,
        snakemake.output.orbit,
        snakemake.output.record,
    )
