"""Snakemake adapter: the self-contained HTML report of the run."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.report import report_stage

with script_logging(snakemake.log[0]):
    report_stage(
        StageSettings.from_rule(snakemake.params.settings),
        interferograms=snakemake.input.interferograms,
        likelihoods=snakemake.input.likelihoods,
        detections=snakemake.input.detections,
        baseline_detections=snakemake.input.baseline_detections,
        references=snakemake.input.references,
        evaluation_json=snakemake.input.get("evaluation"),
        baseline_evaluation_json=snakemake.input.get("baseline_evaluation"),
        provenance_json=snakemake.input.provenance,
        agreement=snakemake.input.agreement,
        calibration_json=snakemake.input.get("calibration"),
        merged_gpkg=snakemake.input.merged,
        benchmark_dir=snakemake.params.benchmark_dir,
        report_html=snakemake.output.report,
    )
