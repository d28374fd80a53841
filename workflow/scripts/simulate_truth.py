"""Snakemake adapter: truth of one synthetic pair."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.sources import simulate_truth_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    simulate_truth_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.input.ground,  # noqa: F821
        snakemake.input.dem,  # noqa: F821
        snakemake.wildcards.pair,  # noqa: F821
        snakemake.output.patterns,  # noqa: F821
        snakemake.output.phase,  # noqa: F821
    )
