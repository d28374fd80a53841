"""Snakemake adapter: the interferogram product of one pair from its HyP3 products."""

from pathlib import Path

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.hyp3 import hyp3_interferogram_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    hyp3_interferogram_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.wildcards.pair,  # noqa: F821
        snakemake.input.pairs,  # noqa: F821
        sorted(Path(snakemake.input.products).glob("*.zip")),  # noqa: F821
        snakemake.output.product,  # noqa: F821
    )
