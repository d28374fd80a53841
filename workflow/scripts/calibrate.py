"""Snakemake adapter: calibrate the ensemble's detection settings on the calibration scenes,
segmented by the trained members as a run deploys them."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.model import calibrate_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    calibrate_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        snakemake.input.trained,  # noqa: F821
        snakemake.input.scenes,  # noqa: F821
        snakemake.output.members,  # noqa: F821
        snakemake.output.calibration,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
