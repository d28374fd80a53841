"""Snakemake adapter: calibrate the ensemble's detection threshold on out-of-fold predictions."""

from massmove.evaluate.calibration import calibrate_stage
from massmove.logs import script_logging

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    calibrate_stage(
        snakemake.config,  # noqa: F821
        snakemake.input.trained,  # noqa: F821
        snakemake.input.scenes,  # noqa: F821
        snakemake.output.members,  # noqa: F821
        snakemake.output.calibration,  # noqa: F821
    )
