"""Snakemake adapter: the self-contained HTML report of the run."""

from massmove.logs import script_logging
from massmove.settings import StageSettings
from massmove.stages.report import report_stage

with script_logging(snakemake.log[0]):  # noqa: F821 - injected by Snakemake
    report_stage(
        StageSettings.from_rule(snakemake.params.settings),  # noqa: F821
        interferograms=snakemake.input.interferograms,  # noqa: F821
        likelihoods=snakemake.input.likelihoods,  # noqa: F821
        detections=snakemake.input.detections,  # noqa: F821
        baseline_detections=snakemake.input.baseline_detections,  # noqa: F821
        references=snakemake.input.references,  # noqa: F821
        evaluation_json=snakemake.input.get("evaluation"),  # noqa: F821
        baseline_evaluation_json=snakemake.input.get("baseline_evaluation"),  # noqa: F821
        provenance_json=snakemake.input.provenance,  # noqa: F821
        agreement=snakemake.input.agreement,  # noqa: F821
        calibration_json=snakemake.input.get("calibration"),  # noqa: F821
        benchmark_dir=snakemake.params.benchmark_dir,  # noqa: F821
        report_html=snakemake.output.report,  # noqa: F821
    )
