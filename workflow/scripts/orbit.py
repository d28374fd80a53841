"""Snakemake adapter: orbit file of one scene."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.sources import orbit_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    orbit_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.wildcards.scene,  # noqa: F821
        snakemake.input.scenes,  # noqa: F821
        snakemake.output.orbit,  # noqa: F821
        snakemake.output.record,  # noqa: F821
    )
