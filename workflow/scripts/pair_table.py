"""Snakemake adapter: write the pair table."""

from massmove.logs import script_logging
from massmove.stages import pairs_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    pairs_stage(snakemake.config, snakemake.output.pairs)  # noqa: F821
