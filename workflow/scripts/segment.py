"""Snakemake adapter: likelihood raster of one pair from the ensemble or the baseline."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.model import segment_stage

with script_logging(snakemake.log[0]):
    segment_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.product,
        snakemake.input.get("members", []),
        snakemake.output.likelihood,
        threads=snakemake.threads,
        detector=snakemake.params.detector,
    )
