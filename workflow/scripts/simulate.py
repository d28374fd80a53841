"""Snakemake adapter: simulate one SLC acquisition."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.sources import simulate_acquisition_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    simulate_acquisition_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.input.ground,  # noqa: F821
        snakemake.wildcards.scene,  # noqa: F821
        snakemake.output.slc,  # noqa: F821
    )
