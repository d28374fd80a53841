"""Snakemake adapter: the QGIS project of the run (results/massmove.qgs)."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.report import qgis_project_stage

with script_logging(snakemake.log[0]):
    qgis_project_stage(
        StageSettings.from_rule(snakemake.params.settings),
        interferograms=snakemake.input.interferograms,
        likelihoods=snakemake.input.likelihoods,
        detections=snakemake.input.detections,
        merged_gpkg=snakemake.input.merged,
        references=snakemake.input.references,
        baseline_detections=snakemake.input.baseline_detections,
        project_qgs=snakemake.output.project,
    )
