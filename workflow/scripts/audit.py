"""Snakemake adapter: rerun the recorded config and compare every product."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.report import audit_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    audit_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.input.provenance,  # noqa: F821
        snakemake.output.report,  # noqa: F821
        cores=snakemake.threads,  # noqa: F821
    )
