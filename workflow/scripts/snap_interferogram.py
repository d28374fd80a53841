"""Snakemake adapter: gpt on the pair's graph, SNAP's output converted into the product."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.snap import snap_interferogram_stage

with script_logging(snakemake.log[0]):
    snap_interferogram_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.wildcards.pair,
        snakemake.input.pairs,
        snakemake.input.graph,
        list(snakemake.input.orbits),
        list(snakemake.input.orbit_records),
        snakemake.output.product,
        threads=snakemake.threads,
        mem_mb=snakemake.resources.mem_mb,
    )
