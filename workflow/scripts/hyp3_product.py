"""Snakemake adapter: the HyP3 jobs of one pair and their downloaded products."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.hyp3 import hyp3_product_stage

with script_logging(snakemake.log[0]):
    hyp3_product_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.wildcards.pair,
        snakemake.input.pairs,
        snakemake.input.search,
        snakemake.output.products,
        snakemake.output.record,
    )
