"""Snakemake adapter: one labelled synthetic calibration scene (published densities)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.model import training_scene_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    training_scene_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        int(snakemake.wildcards.seed),  # noqa: F821
        snakemake.output.scene,  # noqa: F821
    )
