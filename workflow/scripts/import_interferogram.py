"""Snakemake adapter: one interferogram made elsewhere as the interferogram product."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.files import import_interferogram_stage

with script_logging(snakemake.log[0]):
    import_interferogram_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.wildcards.pair,
        snakemake.output.product,
    )
