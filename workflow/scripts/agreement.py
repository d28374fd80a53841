"""Snakemake adapter: pairwise IoU of annotation sets (agreement study)."""

from massmove.evaluate.agreement import agreement_stage
from massmove.logs import script_logging

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    agreement_stage(
        snakemake.config,  # noqa: F821
        dict(snakemake.input.items()),  # noqa: F821
        snakemake.output.table,  # noqa: F821
        snakemake.output.heatmap,  # noqa: F821
    )
