"""Snakemake adapter: pairwise IoU of annotation sets (agreement study)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.agreement import agreement_stage

with script_logging(snakemake.log[0]):
    agreement_stage(
        StageSettings.from_rule(snakemake.params.settings),
        dict(snakemake.input.items()),
        snakemake.output.table,
        snakemake.output.heatmap,
    )
