# Config validation, the pair table, wildcard constraints and every input function.
import os
import sys
from pathlib import Path

from massmove.config import primary_detector
from massmove.errors import MassmoveError
from massmove.io.memory import synthetic_job_mb
from massmove.preflight import check_run_config
from massmove.pairs import (
    pair_row,
    pass_scene_ids,
    read_pair_table,
    synthetic_pairs,
    table_scene_ids,
)
from massmove.settings import config_named_files, select, stage_keys, stage_params

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"

try:
    _resolved = check_run_config(config, SCHEMA)
except MassmoveError as err:
    sys.exit(f"massmove: error: {err}")
config.clear()
config.update(_resolved)
# the detector of results/likelihood: the learned ensemble, or the classical baseline alone
PRIMARY_DETECTOR = primary_detector(config)

# Pairs known when the workflow is parsed: the synthetic ones, and those of a replayed search
# (offline and deterministic). A live ASF search is a checkpoint: its pairs are read after it.
PAIRS = {}
ASF_SCENES = None
# source files: the given interferogram of each pair (massmove.files.inventory)
FILE_INPUTS = {}
try:
    if config["source"] == "synthetic":
        PAIRS = {pair.pair_id: pair for pair in synthetic_pairs(config)}
    elif config["source"] == "files":
        from massmove.files.inventory import file_interferograms, selection_of

        FILE_INPUTS = {
            item.pair_id: item
            for item in file_interferograms(
                config["files"], selection=selection_of(config)
            )
        }
        PAIRS = dict(FILE_INPUTS)
    elif config["search"]["response"] is not None:
        from massmove.asf.pairing import pair_scenes
        from massmove.asf.search import search as replay_search

        _outcome = replay_search(config)
        PAIRS = {pair.pair_id: pair for pair in _outcome.pairs}
        ASF_SCENES = sorted(pair_scenes(_outcome.pairs))
        if _outcome.downloads.get("granularity") == "burst":
            _d = _outcome.downloads
            print(
                f"massmove: {_d['bursts']} bursts to download, {_d['burst_bytes'] / 1e9:.1f} GB, "
                f"instead of {_d['scenes']} whole scenes, {_d['scene_bytes'] / 1e9:.1f} GB "
                "(results/search_report.json)",
                file=sys.stderr,
            )
except MassmoveError as err:
    sys.exit(f"massmove: error: {err}")

if config["source"] == "asf":
    # passed on to cluster jobs; the downloads read them (or ~/.netrc), nothing writes them
    if os.environ.get("EARTHDATA_TOKEN"):

        envvars:
            "EARTHDATA_TOKEN",

    elif os.environ.get("EARTHDATA_USERNAME"):

        envvars:
            "EARTHDATA_USERNAME",
            "EARTHDATA_PASSWORD",


wildcard_constraints:
    # track A### or D###, or X000 for interferograms given without one (source files)
    pair=r"([AD]\d{3}|X000)_\d{8}_\d{8}",
    seed=r"\d+",
    fold=r"\d+",
    scene=r"SYN_[AD]\d{3}_\d{8}T\d{6}|S1[ABCD]_IW_SLC__1S\w+",
    # the results tree of a detector: results/ for the run's primary detector, results/baseline
    # for the classical baseline beside the ensemble
    tree=r"results(/baseline)?",


def settings_of(stage):
    """``params.settings`` of a rule: the config keys its stage reads, and nothing else
    (massmove.settings.STAGE_KEYS); a changed key reruns exactly the jobs that read it.
    """
    return stage_params(config, stage)


def config_files_of(stage):
    """Files the config keys of a stage name (an AOI file, a user DEM or orbit directory, a
    replayed search): inputs of its rule, so that an edited file reruns the jobs that read it.
    """
    return config_named_files(select(config, stage_keys(stage)))


def synthetic_mem_mb(stage, floor_mb):
    """``mem_mb`` of a synthetic job: its measured peak scaled to the configured scene (never
    below the rule's own figure; massmove.io.memory)."""
    if config["source"] != "synthetic":
        return floor_mb
    return synthetic_job_mb(config["synthetic"], stage, floor_mb)


def detector_of(wildcards):
    """The detector of a results tree: the baseline under results/baseline, else the run's."""
    return "baseline" if wildcards.tree == "results/baseline" else PRIMARY_DETECTOR


def detector_settings_of(stage):
    """``params.settings`` of a rule whose stage reads what its detector needs."""
    return lambda wildcards: stage_params(config, f"{stage}:{detector_of(wildcards)}")


def get_detector_members(wildcards):
    """The ensemble's members for the ensemble's tree; nothing for the baseline."""
    return get_ensemble(wildcards) if detector_of(wildcards) == "ensemble" else []


def get_asf_scenes():
    """Scenes the pairs of a real search need (after the search checkpoint when live)."""
    if ASF_SCENES is not None:
        return ASF_SCENES
    return table_scene_ids(read_pair_table(checkpoints.search.get().output.pairs))


def can_detect():
    """Whether the run segments its interferograms: always for the synthetic source; for real
    data when it has a detector (the baseline, an operators' ensemble, or labelled
    interferograms to train on) and interferograms (given files, or the snap or hyp3 engine).
    """
    if config["source"] == "synthetic":
        return True
    has_detector = (
        PRIMARY_DETECTOR == "baseline"
        or bool(config["model"]["checkpoints"])
        or bool(config["train"]["labelled"])
    )
    return has_detector and (
        config["source"] == "files"
        or config["interferogram"]["engine"] in ("snap", "hyp3")
    )


def can_evaluate():
    """Whether the run evaluates its detections: against the synthetic truth, or against
    evaluation.reference."""
    return can_detect() and (
        config["source"] == "synthetic" or config["evaluation"]["reference"] is not None
    )


def get_detection_outputs():
    """Detections of every pair, merged, and the evaluations when there is a reference."""
    if not can_detect():
        return []
    outputs = expand("results/detections/{pair}.gpkg", pair=get_run_pairs())
    outputs += ["results/detections.gpkg", "results/massmove.qgs"]
    if can_evaluate():
        outputs += ["results/evaluation.json"]
        if PRIMARY_DETECTOR != "baseline":
            outputs += ["results/baseline/evaluation.json"]
    return outputs


def get_final_outputs(wildcards):
    """Every product the config implies."""
    outputs = ["results/pairs.csv"]
    if config["source"] == "synthetic":
        outputs += expand("results/interferograms/{pair}.tif", pair=sorted(PAIRS))
        outputs += expand("results/truth/{pair}.gpkg", pair=sorted(PAIRS))
    elif config["source"] == "files":
        outputs += expand("results/interferograms/{pair}.tif", pair=sorted(PAIRS))
    else:
        engine = config["interferogram"]["engine"]
        if engine in ("snap", "none"):
            # SLCs, orbits and the DEM; HyP3 fetches its own
            scenes = get_asf_scenes()
            outputs += expand("resources/slc/{scene}.zip", scene=scenes)
            outputs += expand("resources/orbits/{scene}.EOF", scene=scenes)
            outputs += ["resources/dem/aoi_dem.tif"]
        if engine in ("snap", "hyp3"):
            outputs += expand("results/interferograms/{pair}.tif", pair=get_run_pairs())
    return outputs + get_detection_outputs()


def get_file_inputs(wildcards):
    """Files of the given interferogram of a pair (phase, coherence, metadata)."""
    return [str(path) for path in FILE_INPUTS[wildcards.pair].files]


def get_all_file_inputs(wildcards):
    """Files of every given interferogram (source files)."""
    return sorted({str(p) for item in FILE_INPUTS.values() for p in item.files})


def get_reference(wildcards):
    """Reference polygons of a pair: evaluation.reference, else the synthetic truth."""
    return reference_of(wildcards.pair)


def reference_of(pair):
    """Reference polygons of pair id ``pair``."""
    reference = config["evaluation"]["reference"]
    if reference:
        return str(Path(reference).expanduser())
    return f"results/truth/{pair}.gpkg"


def get_agreement_annotations(wildcards):
    """Annotation sets of the agreement study, by name."""
    return dict(config["agreement"]["annotations"])


def get_agreement_outputs(wildcards):
    """The agreement study's table and heatmap, when two or more annotation sets are given."""
    if len(config["agreement"]["annotations"]) < 2:
        return []
    return ["results/agreement/agreement.csv", "results/agreement/agreement.png"]


def get_run_report(wildcards):
    """The run's HTML report (runs that segment and evaluate)."""
    return ["results/report.html"] if can_evaluate() else []


def get_run_pairs():
    """Pair ids of the run: synthetic or replayed ones, else those of the live search
    (after the search checkpoint)."""
    if PAIRS:
        return sorted(PAIRS)
    return sorted(read_pair_table(checkpoints.search.get().output.pairs)["pair_id"])


def get_pair_slices(wildcards, role):
    """SAFE zips of the pair's reference or secondary pass (one per slice)."""
    if PAIRS:
        ids = [s.scene_id for s in getattr(PAIRS[wildcards.pair], role).slices]
    else:
        row = pair_row(checkpoints.search.get().output.pairs, wildcards.pair)
        ids = pass_scene_ids(row, role)
    return [f"resources/slc/{scene}.zip" for scene in sorted(ids)]


def get_pair_orbits(wildcards):
    """Verified orbit files of every slice of the pair."""
    zips = get_pair_slices(wildcards, "reference") + get_pair_slices(
        wildcards, "secondary"
    )
    return [
        z.replace("resources/slc/", "resources/orbits/").replace(".zip", ".EOF")
        for z in zips
    ]


def get_pair_orbit_records(wildcards):
    """The JSON records of the orbit files (their original names)."""
    return [p.replace(".EOF", ".json") for p in get_pair_orbits(wildcards)]


def get_snap_dem(wildcards):
    """The run's DEM when SNAP uses it as external DEM; nothing when SNAP fetches its own."""
    return ["resources/dem/aoi_dem.tif"] if config["snap"]["dem"] == "external" else []


def get_reference_slc(wildcards):
    """SLC store of the pair's reference acquisition."""
    return f"resources/slc/{PAIRS[wildcards.pair].reference.scene_id}.zarr"


def get_secondary_slc(wildcards):
    """SLC store of the pair's secondary acquisition."""
    return f"resources/slc/{PAIRS[wildcards.pair].secondary.scene_id}.zarr"


def get_training_scenes(wildcards):
    """Synthetic training scenes (source synthetic only; other ground than the detection scene)."""
    if config["source"] != "synthetic":
        return []
    return expand(
        "resources/training/seed{seed}", seed=config["train"]["synthetic_seeds"]
    )


def get_calibration_scenes(wildcards):
    """Synthetic calibration scenes (source synthetic only): made by the calibration_scene rule
    on ground neither the members nor the run's evaluation see."""
    if config["source"] != "synthetic":
        return []
    return expand(
        "resources/calibration/seed{seed}",
        seed=config["train"]["calibration"]["synthetic_seeds"],
    )


def get_calibration_files(wildcards):
    """Labelled interferograms and label files listed in train.calibration.labelled."""
    return [
        p
        for entry in config["train"]["calibration"]["labelled"]
        for p in (entry["interferogram"], entry["labels"])
    ]


def get_labelled_files(wildcards):
    """Labelled interferograms and label files listed in train.labelled."""
    return [
        p
        for entry in config["train"]["labelled"]
        for p in (entry["interferogram"], entry["labels"])
    ]


def get_ensemble(wildcards):
    """The operators' ensemble (model.checkpoints) or the members this run trains; none when
    the baseline is the run's detector."""
    if PRIMARY_DETECTOR == "baseline":
        return []
    if config["model"]["checkpoints"]:
        return list(config["model"]["checkpoints"])
    return expand_members("results/models/fold{fold}")


def expand_members(pattern):
    """One path per ensemble member (fold) of the run."""
    return expand(pattern, fold=range(config["model"]["ensemble_size"]))


def get_trained_members(wildcards):
    """The members as trained, before their detection settings are calibrated."""
    return expand_members("results/models/trained/fold{fold}")


def get_report_inputs(wildcards):
    """Named inputs of the report: per-pair products in pair order, the evaluations, the
    provenance record."""
    pairs = get_run_pairs()
    inputs = {
        "interferograms": expand("results/interferograms/{pair}.tif", pair=pairs),
        "likelihoods": expand("results/likelihood/{pair}.tif", pair=pairs),
        "detections": expand("results/detections/{pair}.gpkg", pair=pairs),
        "merged": "results/detections.gpkg",
        "baseline_detections": [],
        "references": [reference_of(p) for p in pairs],
        "evaluation": "results/evaluation.json",
        "provenance": "results/provenance.json",
        "agreement": get_agreement_outputs(wildcards),
    }
    if PRIMARY_DETECTOR != "baseline":
        inputs["baseline_detections"] = expand(
            "results/baseline/detections/{pair}.gpkg", pair=pairs
        )
        inputs["baseline_evaluation"] = "results/baseline/evaluation.json"
    if PRIMARY_DETECTOR != "baseline" and not config["model"]["checkpoints"]:
        inputs["calibration"] = "results/models/calibration.json"
    return inputs


def get_qgis_inputs(wildcards):
    """Named inputs of the QGIS project: per-pair products in pair order with the styles beside
    the rasters, the merged detections, and where the run evaluates the references and the
    baseline's detections beside the ensemble's."""
    pairs = get_run_pairs()
    inputs = {
        "interferograms": expand("results/interferograms/{pair}.tif", pair=pairs),
        "likelihoods": expand("results/likelihood/{pair}.tif", pair=pairs),
        "detections": expand("results/detections/{pair}.gpkg", pair=pairs),
        "styles": expand(
            "results/{kind}/{pair}.qml",
            kind=("interferograms", "likelihood"),
            pair=pairs,
        ),
        "merged": "results/detections.gpkg",
        "references": [reference_of(p) for p in pairs] if can_evaluate() else [],
        "baseline_detections": [],
    }
    # the baseline's detections where the run makes them anyway (it scores both detectors)
    if PRIMARY_DETECTOR != "baseline" and can_evaluate():
        inputs["baseline_detections"] = expand(
            "results/baseline/detections/{pair}.gpkg", pair=pairs
        )
    return inputs


def get_pair_detections(wildcards):
    """Detections of every pair in the detector's tree."""
    return expand(
        "{tree}/detections/{pair}.gpkg", tree=wildcards.tree, pair=get_run_pairs()
    )


def get_pair_references(wildcards):
    """Reference polygons of every pair, in the order of get_run_pairs."""
    return [reference_of(pair) for pair in get_run_pairs()]


def get_pair_likelihoods(wildcards):
    """Likelihood rasters of every pair in the detector's tree."""
    return expand(
        "{tree}/likelihood/{pair}.tif", tree=wildcards.tree, pair=get_run_pairs()
    )


def get_pair_products(wildcards):
    """Interferogram products of every pair (their coherence and viewing geometry)."""
    return expand("results/interferograms/{pair}.tif", pair=get_run_pairs())


def get_support_dem(wildcards):
    """The DEM the run already has, for the direction of motion in the support of a detection:
    the synthetic scene's, or the AOI's for the snap engine and engine none; none otherwise
    (nothing is downloaded for it)."""
    if config["source"] == "synthetic":
        return ["resources/dem/synthetic_dem.tif"]
    if config["source"] == "asf" and config["interferogram"]["engine"] in (
        "snap",
        "none",
    ):
        return ["resources/dem/aoi_dem.tif"]
    return []


def get_pair_evaluations(wildcards):
    """Evaluation records of every pair in the detector's tree."""
    return expand(
        "{tree}/evaluation/{pair}.json", tree=wildcards.tree, pair=get_run_pairs()
    )
