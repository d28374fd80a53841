"""What each workflow stage reads of the config, and the settings objects the stages take.

Every rule of the workflow runs one stage. ``STAGE_KEYS`` names, for each of them, the
config keys (dotted paths) its stage reads; nothing else of the config reaches it:

- the rule passes exactly these keys as ``params`` (:func:`stage_params`), so changing a key
  reruns the jobs whose stages read it, and no others;
- the stage receives a :class:`StageSettings` built from those keys alone: reading any other
  key stops with one line naming the stage and the key (an undeclared read is a bug that
  would leave stale products);
- products carry :attr:`StageSettings.digest`, the digest of the settings that made them.

A key written ``-a.b`` removes ``a.b`` from a section declared whole.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from massmove.config import config_digest, deep_merge
from massmove.errors import ConfigError

# The keys below were read off the stages themselves (every read of a settings object recorded
# over a whole run); sections a stage reads in full are declared whole.

# the keys that make the synthetic acquisitions of a track (dates and pass times)
ACQUISITION_KEYS = (
    "baselines_days",
    "period",
    "synthetic.pairs_per_baseline",
    "synthetic.revisit_days",
    "synthetic.geometry",
)
# ... and the pairs of the run
PAIR_KEYS = ("tracks", *ACQUISITION_KEYS)
# what imaging reads of the ground and the sensor (SLCs and the noise-free truth)
IMAGING_KEYS = tuple(
    f"synthetic.{key}"
    for key in ("seed", "centre_m", "atmosphere", "landcover", "landslides", "orbit", "scatterers", "sensor")
)
# the built-in engine's processing (the truth is judged after the same filter and multilook)
ENGINE_KEYS = (
    "interferogram.coherence_window",
    "interferogram.dem_densify_m",
    "interferogram.goldstein",
    "interferogram.multilook",
)
# the product grid of the synthetic scene
GRID_KEYS = ("crs", "posting_m", "synthetic.centre_m", "synthetic.extent_km")

# what the ensemble's inference reads (calibrate deploys it as the segment stage does)
SEGMENT_ENSEMBLE_KEYS = (
    "segment.chunk_px",
    "segment.stride_px",
    "segment.batch_size",
    "segment.precision",
    "model.channels",
    "model.device",
    "train.patch_px",
)

STAGE_KEYS: dict[str, tuple[str, ...]] = {
    # synthetic source
    "pair_table": PAIR_KEYS,
    "simulate_ground": (
        "crs",
        *(
            f"synthetic.{key}"
            for key in (
                "seed",
                "centre_m",
                "extent_km",
                "margin_m",
                "terrain",
                "dem",
                "landcover",
                "landslides",
                "rock_glaciers",
                "slope_deformations",
            )
        ),
    ),
    "simulate": ("crs", *ACQUISITION_KEYS, *IMAGING_KEYS),
    "simulate_truth": (*PAIR_KEYS, *GRID_KEYS, *IMAGING_KEYS, *ENGINE_KEYS, "synthetic.truth"),
    "interferogram": ("source", *PAIR_KEYS, *GRID_KEYS, *ENGINE_KEYS, "interferogram.coregistration"),
    # interferograms made elsewhere
    "files_pairs": ("files", "tracks", "baselines_days", "period"),
    "import_interferogram": ("files", "tracks", "baselines_days", "period", "aoi", "crs", "posting_m"),
    # real acquisitions
    "search": (
        "aoi",
        "tracks",
        "baselines_days",
        "period",
        "search",
        "download.granularity",
        "interferogram.engine",
        "hyp3.job_type",
    ),
    "download": ("download",),
    "download_bursts": ("download",),
    "assemble_safe": ("download.granularity",),
    "orbit": ("orbits",),
    "dem": ("aoi", "dem", "crs", "posting_m", "download"),
    "snap_graph": ("source", "aoi", "crs", "posting_m", "snap", "interferogram", "search.polarisation"),
    "snap_interferogram": ("source", "aoi", "crs", "posting_m", "snap"),
    "hyp3_product": ("hyp3", "posting_m", "download"),
    "hyp3_interferogram": ("source", "aoi", "crs", "posting_m"),
    # the ensemble: a training scene is a whole synthetic scene with its own seed
    "calibration_scene": (
        "source",
        "synthetic",
        "interferogram",
        "train.generator",
        "train.phase_domain",
        *PAIR_KEYS,
        *GRID_KEYS,
    ),
    "training_scene": (
        "source",
        "synthetic",
        "interferogram",
        "train.generator",
        "train.phase_domain",
        "train.movement_density_factor",
        *PAIR_KEYS,
        *GRID_KEYS,
    ),
    "train": ("train", "-train.calibration", "model", "-model.checkpoints"),
    # the ensemble as a run deploys it: the segment stage's inference settings
    "calibrate": (
        "train.calibration",
        "train.label_class",
        "evaluation.iou_threshold",
        *SEGMENT_ENSEMBLE_KEYS,
    ),
    # detectors: one set of rules, the settings of the detector the job runs; detection.* is
    # read where polygons and scores are made, so a changed threshold never reruns inference
    "segment:ensemble": ("segment", "model.channels", "model.device", "train.patch_px"),
    "segment:baseline": ("segment", "-segment.precision", "model.baseline", "train.patch_px"),
    "vectorise": ("detection.threshold", "detection.min_area_m2"),
    "merge_detections": ("crs", "detection"),
    "evaluate_pair": ("evaluation", "-evaluation.reference", "detection.threshold", "detection.min_area_m2"),
    "evaluation": (
        "evaluation.iou_threshold",
        "evaluation.class_column",
        "evaluation.reference_class",
        "detection.min_support",
        "detection.support.independent_pairs",
    ),
    # report, provenance, audits
    "report": (
        "evaluation.class_column",
        "evaluation.reference_class",
        "evaluation.iou_threshold",
        "model.architecture",
        "detection",
    ),
    # QGIS: the raster styles read no setting; the project names the CRS, reads each pair's
    # threshold as vectorise does and shows the reference class the evaluation scores
    "raster_styles": (),
    "qgis_project": ("crs", "detection", "evaluation.class_column", "evaluation.reference_class"),
    "agreement": ("agreement", "-agreement.annotations", "crs"),
    # the provenance record holds the whole config
    "provenance": ("",),
    "audit": ("audit",),
}


def _path(dotted: str) -> list[str]:
    return [part for part in dotted.split(".") if part]


def select(config: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """The part of ``config`` under ``keys`` (dotted paths, ``""`` for all of it, ``-a.b`` to
    drop a key of a section taken whole), as plain nested dicts.

    Examples
    --------
    >>> select({"a": {"b": 1, "c": 2}, "d": 3}, ["a", "-a.c"])
    {'a': {'b': 1}}
    >>> select({"a": {"b": 1, "c": 2}, "d": 3}, ["a.c", "d"])
    {'a': {'c': 2}, 'd': 3}
    """
    chosen: dict[str, Any] = {}
    for key in (k for k in keys if not k.startswith("-")):
        parts = _path(key)
        if not parts:
            return copy.deepcopy(dict(config))
        source: Any = config
        target = chosen
        for depth, part in enumerate(parts):
            if not isinstance(source, Mapping) or part not in source:
                raise ConfigError(f"config key '{key}': not in the config")
            source = source[part]
            if depth == len(parts) - 1:
                target[part] = copy.deepcopy(source)
            else:
                target = target.setdefault(part, {})
    for key in (k[1:] for k in keys if k.startswith("-")):
        *parents, last = _path(key)
        node: Any = chosen
        for part in parents:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(last, None)
    return chosen


def stage_keys(stage: str) -> tuple[str, ...]:
    """The declared keys of a stage; an unknown stage is an error naming it."""
    try:
        return STAGE_KEYS[stage]
    except KeyError:
        raise ConfigError(f"stage {stage!r}: not declared in massmove.settings.STAGE_KEYS") from None


def aoi_path(aoi: Any) -> str | None:
    """The vector file an ``aoi`` value names, None for a bbox or a WKT polygon.

    Examples
    --------
    >>> aoi_path("inputs/aoi.geojson"), aoi_path("POLYGON ((7 46, 8 46, 8 47, 7 46))")
    ('inputs/aoi.geojson', None)
    >>> aoi_path([7, 46, 8, 47]) is None
    True
    """
    if isinstance(aoi, str) and not aoi.strip().upper().startswith(("POLYGON", "MULTIPOLYGON")):
        return aoi
    return None


def config_named_files(values: Mapping[str, Any], base_dir: str | Path = ".") -> list[str]:
    """The files the config keys in ``values`` name and a stage reads beside its products: the
    AOI's vector file, a user DEM (file or tile directory), a single orbit file, a replayed
    search. Directories are listed
    file by file (relative to ``base_dir`` when the path is relative); missing paths are kept as
    written, so that the workflow names them.

    Rules take them as inputs (``select(config, stage_keys(stage))`` gives ``values``), so an
    edited file reruns the jobs that read it. Files a rule already takes otherwise (labelled
    data, checkpoints, reference polygons, annotations, files' interferograms) are not repeated.
    """
    named: list[str] = []
    if aoi_file := aoi_path(values.get("aoi")):
        named.append(aoi_file)
    if isinstance(values.get("dem"), Mapping) and values["dem"].get("path"):
        named.append(str(values["dem"]["path"]))
    # an orbit directory is shared by many scenes and grows: each orbit job picks its own file
    # by name (EOF names carry their validity), so only a single orbit file is an input
    orbits = values["orbits"].get("path") if isinstance(values.get("orbits"), Mapping) else None
    if orbits and not (Path(base_dir) / Path(orbits).expanduser()).is_dir():
        named.append(str(orbits))
    search: Mapping[str, Any] = values["search"] if isinstance(values.get("search"), Mapping) else {}
    for key in ("response", "burst_response"):  # a path or a list of paths
        replay = search.get(key)
        named += [replay] if isinstance(replay, str) else list(replay or [])
    files: list[str] = []
    for name in named:
        path = Path(name).expanduser()
        folder = path if path.is_absolute() else Path(base_dir) / path
        if folder.is_dir():
            files += sorted(str(path / p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        else:
            files.append(str(path))
    return files


def stage_params(config: Mapping[str, Any], stage: str) -> dict[str, Any]:
    """What a rule passes as ``params.settings``: the stage's name and the config keys it reads
    (a changed key changes the param, and Snakemake reruns the job)."""
    return {"stage": stage, "values": select(config, stage_keys(stage))}


class StageSettings(dict[str, Any]):
    """The config keys one stage reads, and nothing else: reading an undeclared key raises
    :class:`ConfigError` naming the stage and the key.

    Examples
    --------
    >>> settings = StageSettings.of("vectorise", {"detection": {"threshold": 0.5}})
    >>> settings["detection"]["threshold"]
    0.5
    >>> settings["crs"]  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    massmove.errors.ConfigError: stage 'vectorise' reads config key 'crs', which its rule does not...
    """

    stage: str
    prefix: str

    @classmethod
    def of(cls, stage: str, values: Mapping[str, Any], prefix: str = "") -> StageSettings:
        """Wrap ``values`` (a rule's ``params.settings``) as the settings of ``stage``."""
        settings = cls()
        settings.stage, settings.prefix = stage, prefix
        for key, value in values.items():
            if isinstance(value, Mapping):
                value = cls.of(stage, value, f"{prefix}{key}.")
            dict.__setitem__(settings, key, value)
        return settings

    @classmethod
    def from_config(cls, stage: str, config: Mapping[str, Any]) -> StageSettings:
        """The settings of ``stage`` taken from a full config (tests, notebooks, benchmarks)."""
        return cls.of(stage, select(config, stage_keys(stage)))

    @classmethod
    def from_rule(cls, params_settings: Mapping[str, Any]) -> StageSettings:
        """The settings a rule passed as ``params.settings`` (:func:`stage_params`)."""
        return cls.of(params_settings["stage"], params_settings["values"])

    def __missing__(self, key: str) -> Any:
        raise ConfigError(
            f"stage {self.stage!r} reads config key '{self.prefix}{key}', which its rule does not "
            "declare (massmove.settings.STAGE_KEYS)"
        )

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        """Like ``dict.get`` for declared keys; an undeclared key raises as ``[]`` does."""
        return self[key]

    def __deepcopy__(self, memo: dict[int, Any]) -> StageSettings:
        return StageSettings.of(self.stage, copy.deepcopy(self.plain(), memo), self.prefix)

    def __reduce__(self) -> tuple[Any, ...]:
        return (StageSettings.of, (self.stage, self.plain(), self.prefix))

    def plain(self) -> dict[str, Any]:
        """The settings as plain nested dicts."""
        return {k: v.plain() if isinstance(v, StageSettings) else v for k, v in self.items()}

    def with_values(self, overrides: Mapping[str, Any]) -> StageSettings:
        """A copy with ``overrides`` merged in key by key (e.g. another ground seed)."""
        return StageSettings.of(self.stage, deep_merge(self.plain(), overrides), self.prefix)

    @property
    def digest(self) -> str:
        """The digest of these settings (the ``settings_digest`` tag of what the stage writes)."""
        return config_digest(self.plain())
