"""Snakemake adapter: one scene's bursts assembled into a SAFE zip (burst2safe)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.download import assemble_safe_stage

with script_logging(snakemake.log[0]):
    assemble_safe_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.bursts,
        snakemake.output.slc,
    )
