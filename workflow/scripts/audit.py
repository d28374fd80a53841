"""Snakemake adapter: rerun the recorded config and compare every product."""

from massmove.audit import Tolerance, audit_stage
from massmove.logs import script_logging

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    audit_stage(
        snakemake.input.provenance,  # noqa: F821
        snakemake.output.report,  # noqa: F821
        cores=snakemake.threads,  # noqa: F821
        tolerance=Tolerance(float_atol=snakemake.params.float_atol),  # noqa: F821
    )
