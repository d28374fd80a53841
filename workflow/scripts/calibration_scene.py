"""Snakemake adapter: one labelled synthetic calibration scene (published densities)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.model import training_scene_stage

with script_logging(snakemake.log[0]):
    training_scene_stage(
        StageSettings.from_rule(snakemake.params.settings),
        int(snakemake.wildcards.seed),
        snakemake.output.scene,
    )
