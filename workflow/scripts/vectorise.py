"""Snakemake adapter: detection polygons of one pair."""

from massmove.detect.stages import vectorise_stage
from massmove.logs import script_logging

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    vectorise_stage(
        snakemake.config,  # noqa: F821
        snakemake.input.likelihood,  # noqa: F821
        snakemake.output.detections,  # noqa: F821
    )
