"""Snakemake adapter: the HyP3 jobs of one pair and their downloaded products."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.hyp3 import hyp3_product_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    hyp3_product_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.wildcards.pair,  # noqa: F821
        snakemake.input.pairs,  # noqa: F821
        snakemake.input.search,  # noqa: F821
        snakemake.output.products,  # noqa: F821
        snakemake.output.record,  # noqa: F821
    )
