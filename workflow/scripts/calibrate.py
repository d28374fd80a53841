"""Snakemake adapter: calibrate the ensemble's detection threshold on out-of-fold predictions."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.evaluate import calibrate_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    calibrate_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.input.trained,  # noqa: F821
        snakemake.input.scenes,  # noqa: F821
        snakemake.output.members,  # noqa: F821
        snakemake.output.calibration,  # noqa: F821
    )
