"""Snakemake adapter: pairwise IoU of annotation sets (agreement study)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.evaluate import agreement_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    agreement_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        dict(snakemake.input.items()),  # noqa: F821
        snakemake.output.table,  # noqa: F821
        snakemake.output.heatmap,  # noqa: F821
    )
