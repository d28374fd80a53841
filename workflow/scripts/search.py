"""Snakemake adapter: ASF search (or replay) and pair table."""

from massmove.logs import script_logging
from massmove.stages import search_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    out = snakemake.output  # noqa: F821
    search_stage(snakemake.config, out.raw, out.scenes, out.pairs, out.report)  # noqa: F821
