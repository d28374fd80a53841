"""Snakemake adapter: download and verify the bursts of one scene."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.sources import download_bursts_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    download_bursts_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.wildcards.scene,  # noqa: F821
        snakemake.input.search,  # noqa: F821
        snakemake.output.bursts,  # noqa: F821
    )
