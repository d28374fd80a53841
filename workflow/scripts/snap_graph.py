"""Snakemake adapter: the SNAP graph of one pair (and its burst selection)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.snap import snap_graph_stage

with script_logging(snakemake.log[0]):
    snap_graph_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.wildcards.pair,
        snakemake.input.pairs,
        list(snakemake.input.reference),
        list(snakemake.input.secondary),
        snakemake.input.dem[0] if snakemake.input.dem else None,
        snakemake.output.graph,
        snakemake.output.bursts,
        snakemake.params.output_stem,
    )
