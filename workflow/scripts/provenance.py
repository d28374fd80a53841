"""Snakemake adapter: write the run's provenance record."""

from pathlib import Path

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.provenance import provenance_stage

with script_logging(snakemake.log[0]):
    provenance_stage(
        StageSettings.from_rule(snakemake.params.settings),
        Path.cwd(),
        snakemake.params.snakefile,
        snakemake.output.provenance,
    )
