"""Snakemake adapter: one labelled synthetic training scene (label-dense when
train.movement_density_factor > 1)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.model import training_scene_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    settings = StageSettings.from_rule(snakemake.params.settings)  # noqa: F821
    training_scene_stage(
        settings,
        int(snakemake.wildcards.seed),  # noqa: F821
        snakemake.output.scene,  # noqa: F821
        movement_density_factor=settings["train"]["movement_density_factor"],
    )
