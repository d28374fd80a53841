"""Snakemake adapter: train one ensemble member (one fold)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.model import train_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    train_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        int(snakemake.wildcards.fold),  # noqa: F821
        snakemake.input.scenes,  # noqa: F821
        snakemake.output.member,  # noqa: F821
    )
