"""Snakemake adapter: the pair table of the interferograms given in the files section."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.files import files_pairs_stage

with script_logging(snakemake.log[0]):
    files_pairs_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.output.pairs,
    )
