"""Snakemake adapter: interferogram product of one pair (built-in engine)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.sources import interferogram_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    interferogram_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.wildcards.pair,  # noqa: F821
        snakemake.input.reference,  # noqa: F821
        snakemake.input.secondary,  # noqa: F821
        snakemake.input.dem,  # noqa: F821
        snakemake.output.product,  # noqa: F821
    )
