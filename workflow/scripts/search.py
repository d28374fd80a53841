"""Snakemake adapter: ASF search (or replay) and pair table."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.search import search_stage

with script_logging(snakemake.log[0]):
    settings = StageSettings.from_rule(snakemake.params.settings)
    out = snakemake.output
    search_stage(settings, out.raw, out.scenes, out.pairs, out.report)
