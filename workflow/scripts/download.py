"""Snakemake adapter: download and verify one SLC."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.download import download_stage

with script_logging(snakemake.log[0]):
    download_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.wildcards.scene,
        snakemake.input.scenes,
        snakemake.output.slc,
    )
