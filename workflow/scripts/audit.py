"""Snakemake adapter: rerun the recorded config and compare every product."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.provenance import audit_stage

with script_logging(snakemake.log[0]):
    audit_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.provenance,
        snakemake.output.report,
        cores=snakemake.threads,
    )
