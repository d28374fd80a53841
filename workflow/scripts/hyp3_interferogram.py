"""Snakemake adapter: the interferogram product of one pair from its HyP3 products."""

from pathlib import Path

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.hyp3 import hyp3_interferogram_stage

with script_logging(snakemake.log[0]):
    hyp3_interferogram_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.wildcards.pair,
        snakemake.input.pairs,
        sorted(Path(snakemake.input.products).glob("*.zip")),
        snakemake.output.product,
    )
