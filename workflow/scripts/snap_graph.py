"""Snakemake adapter: the SNAP graph of one pair (and its burst selection)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.snap import snap_graph_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    snap_graph_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.wildcards.pair,  # noqa: F821
        snakemake.input.pairs,  # noqa: F821
        list(snakemake.input.reference),  # noqa: F821
        list(snakemake.input.secondary),  # noqa: F821
        snakemake.input.dem[0] if snakemake.input.dem else None,  # noqa: F821
        snakemake.output.graph,  # noqa: F821
        snakemake.output.bursts,  # noqa: F821
        snakemake.params.output_stem,  # noqa: F821
    )
