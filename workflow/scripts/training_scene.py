"""Snakemake adapter: one labelled synthetic training scene (label-dense when
train.movement_density_factor > 1)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.model import training_scene_stage

with script_logging(snakemake.log[0]):
    settings = StageSettings.from_rule(snakemake.params.settings)
    training_scene_stage(
        settings,
        int(snakemake.wildcards.seed),
        snakemake.output.scene,
        movement_density_factor=settings["train"]["movement_density_factor"],
    )
