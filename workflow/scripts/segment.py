"""Snakemake adapter: likelihood raster of one pair from the ensemble or the baseline."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.model import segment_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    segment_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.input.product,  # noqa: F821
        snakemake.input.get("members", []),  # noqa: F821
        snakemake.output.likelihood,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        detector=snakemake.params.detector,  # noqa: F821
    )
