"""Snakemake adapter: gpt on the pair's graph, SNAP's output converted into the product."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.snap import snap_interferogram_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    snap_interferogram_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.wildcards.pair,  # noqa: F821
        snakemake.input.pairs,  # noqa: F821
        snakemake.input.graph,  # noqa: F821
        list(snakemake.input.orbits),  # noqa: F821
        list(snakemake.input.orbit_records),  # noqa: F821
        snakemake.output.product,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        mem_mb=snakemake.resources.mem_mb,  # noqa: F821
    )
