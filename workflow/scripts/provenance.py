"""Snakemake adapter: write the run's provenance record."""

from pathlib import Path

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.report import provenance_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    provenance_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        Path.cwd(),
        snakemake.params.snakefile,  # noqa: F821
        snakemake.output.provenance,  # noqa: F821
    )
