"""Snakemake adapter: calibrate the ensemble's detection settings on the calibration scenes,
segmented by the trained members as a run deploys them."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.model import calibrate_stage

with script_logging(snakemake.log[0]):
    calibrate_stage(
        StageSettings.from_rule(snakemake.params.settings),
        snakemake.input.trained,
        snakemake.input.scenes,
        snakemake.output.members,
        snakemake.output.calibration,
        threads=snakemake.threads,
    )
