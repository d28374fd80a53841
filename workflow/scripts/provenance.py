"""Snakemake adapter: write the run's provenance record."""

from pathlib import Path

from massmove.logs import script_logging
from massmove.provenance import write_provenance

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    write_provenance(
        snakemake.config,  # noqa: F821
        Path.cwd(),
        snakemake.params.snakefile,  # noqa: F821
        snakemake.output.provenance,  # noqa: F821
    )
