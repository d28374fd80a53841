"""Snakemake adapter: train one ensemble member (one fold)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.model import train_stage

with script_logging(snakemake.log[0]):
    train_stage(
        StageSettings.from_rule(snakemake.params.settings),
        int(snakemake.wildcards.fold),
        snakemake.input.scenes,
        snakemake.output.member,
    )
