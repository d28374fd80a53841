"""Snakemake adapter: ASF search (or replay) and pair table."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.sources import search_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    settings = StageSettings.from_rule(snakemake.params.settings)  # noqa: F821
    out = snakemake.output  # noqa: F821
    search_stage(settings, out.raw, out.scenes, out.pairs, out.report)  # noqa: F821
