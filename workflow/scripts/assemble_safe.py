"""Snakemake adapter: one scene's bursts assembled into a SAFE zip (burst2safe)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.sources import assemble_safe_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    assemble_safe_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.input.bursts,  # noqa: F821
        snakemake.output.slc,  # noqa: F821
    )
