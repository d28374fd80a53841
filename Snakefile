# massmove: Sentinel-1 SLC pairs -> wrapped interferograms -> mapped mass movements.
# Run from anywhere: snakemake -s PATH/Snakefile --directory RUN [--configfile CFG] --cores N
import os

from snakemake.utils import min_version

min_version("8.20")


# the user's config: config/config.yaml beside this file, then --configfile/--config on top;
# the schema fills in and validates every key (workflow/rules/common.smk)
configfile: os.path.join(workflow.basedir, "config", "config.yaml")


include: "workflow/rules/common.smk"


report: "workflow/report/workflow.rst"


if config["source"] == "synthetic":

    include: "workflow/rules/simulate.smk"
    include: "workflow/rules/interferogram.smk"


if config["source"] == "files":

    include: "workflow/rules/files.smk"


if config["source"] == "asf":

    include: "workflow/rules/search.smk"
    include: "workflow/rules/download.smk"

    if config["interferogram"]["engine"] == "snap":

        include: "workflow/rules/snap.smk"

    if config["interferogram"]["engine"] == "hyp3":

        include: "workflow/rules/hyp3.smk"


# segmentation, detections, evaluation and report of the run's interferograms (every source)
include: "workflow/rules/model.smk"
include: "workflow/rules/detect.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/provenance.smk"
include: "workflow/rules/agreement.smk"


rule all:
    default_target: True
    input:
        get_final_outputs,
        "results/provenance.json",
        get_run_report,
        get_agreement_outputs,
