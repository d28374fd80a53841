"""Snakemake adapter: download and verify the bursts of one scene."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.download import download_bursts_stage

with script_logging(snakemake.log[0]):
    download_bursts_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.wildcards.scene,
        snakemake.input.search,
        snakemake.output.bursts,
    )
