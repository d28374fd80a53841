"""Snakemake adapter: detections of every pair merged."""

from massmove.detect.stages import merge_stage
from massmove.logs import script_logging

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    merge_stage(
        snakemake.config,  # noqa: F821
        snakemake.input.detections,  # noqa: F821
        snakemake.output.merged,  # noqa: F821
    )
