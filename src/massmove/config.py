"""Configuration: defaults from the JSON schema, key-by-key merging, validation, digest.

The schema (``workflow/schemas/config.schema.yaml``, with the synthetic section in
``synthetic.schema.yaml`` beside it) is the single source of truth: every key has a type, a
description and a default. :func:`load_schema` inlines its ``$ref`` and fills in its
``required`` lists, so that every reader walks plain nested ``properties``.
``config/config.yaml`` is generated from it (``massmove config-template``) and a test checks
that the two never drift.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from massmove.errors import ConfigError

SCHEMA_RELATIVE_PATH = Path("workflow/schemas/config.schema.yaml")
#: Sentinel-1 relative orbits run from 1 to 175 (12-day repeat cycle)
RELATIVE_ORBITS = 175


def repository_root() -> Path:
    """Return the source tree holding the workflow (the package lives in ``src/massmove``)."""
    return Path(__file__).resolve().parents[2]


def default_schema_path() -> Path:
    """Return the path of the shipped config schema."""
    return repository_root() / SCHEMA_RELATIVE_PATH


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file, naming the file in any error."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({_one_line(str(err))})") from err
    except ValueError as err:  # a value YAML types but cannot build, e.g. the date 2018-02-30
        raise ConfigError(
            f"{path}: not valid YAML ({_one_line(str(err))}; quote dates as 'YYYY-MM-DD')"
        ) from err


#: keywords whose values are data, not schemas (never searched for ``$ref``)
_DATA_KEYWORDS = frozenset({"default", "enum", "const", "examples"})
#: keywords whose values map names to schemas (the names are not keywords)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
#: what a node that names a shape with ``$ref`` may add to it (the key's own annotations)
_REF_ANNOTATIONS = frozenset({"$ref", "description", "default", "title", "examples", "$comment"})


def load_schema(schema_path: str | Path | None = None) -> dict[str, Any]:
    """Load the config schema (the shipped one by default), ready for every reader.

    The schema files follow two conventions that are resolved here, so that validation and
    every walker (:func:`schema_defaults`, :func:`config_template`, the tests) see a schema
    without references in which each key carries its own type, description and default:

    - ``$ref`` (``#/$defs/name`` in the same file, ``other.yaml`` or ``other.yaml#/$defs/name``
      beside it) is inlined: the named shape, with the referring node's other keywords
      (description, default) added to it; ``$defs`` are dropped once inlined;
    - an object whose ``properties`` come without a ``required`` list requires every property
      it declares, in their order; an explicit ``required`` list is kept as written.
    """
    path = Path(schema_path or default_schema_path())
    documents: dict[Path, Any] = {}
    schema: dict[str, Any] = _inline_refs(_schema_document(path, documents), path, documents, ())
    _require_declared(schema)
    return schema


def _schema_document(path: Path, documents: dict[Path, Any]) -> Any:
    """A schema file, read once per load."""
    key = path.resolve()
    if key not in documents:
        document = load_yaml(path)
        if not isinstance(document, dict):
            raise ConfigError(f"{path}: the schema must be a mapping")
        documents[key] = document
    return documents[key]


def _ref_target(ref: Any, base: Path, documents: dict[Path, Any]) -> tuple[Path, Any]:
    """The file and the node a ``$ref`` of the schema file ``base`` names."""
    if not isinstance(ref, str) or "://" in ref:
        raise ConfigError(f"{base}: $ref {ref!r} is not a file beside it or a #/pointer")
    file_part, _, pointer = ref.partition("#")
    path = base.parent / file_part if file_part else base
    node = _schema_document(path, documents)
    if pointer:
        for part in pointer.lstrip("/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"{base}: $ref {ref!r} names nothing in {path.name}")
            node = node[part]
    if not isinstance(node, dict):
        raise ConfigError(f"{base}: $ref {ref!r} names no schema")
    if not pointer:  # a whole file: its own $schema is no keyword of the section
        node = {key: value for key, value in node.items() if key != "$schema"}
    return path, node


def _inline_refs(node: Any, base: Path, documents: dict[Path, Any], seen: tuple[str, ...]) -> Any:
    """``node`` of the schema file ``base`` with every ``$ref`` inlined and ``$defs`` dropped."""
    if isinstance(node, list):
        return [_inline_refs(item, base, documents, seen) for item in node]
    if not isinstance(node, dict):
        return node
    resolved: dict[str, Any] = {}
    if "$ref" in node:
        path, target = _ref_target(node["$ref"], base, documents)
        where = f"{path.resolve()}#{str(node['$ref']).partition('#')[2]}"
        if where in seen:
            raise ConfigError(f"{base}: $ref {node['$ref']!r} refers to itself")
        if clash := (set(target) & set(node)) - _REF_ANNOTATIONS:
            raise ConfigError(
                f"{base}: {', '.join(sorted(clash))} beside $ref {node['$ref']!r} would replace "
                "the named shape's own (only annotations may stand beside a $ref)"
            )
        resolved.update(_inline_refs(target, path, documents, (*seen, where)))
    for key, value in node.items():
        if key in ("$ref", "$defs"):
            continue
        if key in _DATA_KEYWORDS:
            resolved[key] = copy.deepcopy(value)
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            resolved[key] = {name: _inline_refs(sub, base, documents, seen) for name, sub in value.items()}
        else:
            resolved[key] = _inline_refs(value, base, documents, seen)
    return resolved


def _require_declared(node: Any) -> None:
    """Give every object schema that declares ``properties`` without ``required`` all of them."""
    if isinstance(node, list):
        for item in node:
            _require_declared(item)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("properties"), dict) and "required" not in node:
        node["required"] = list(node["properties"])
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            for sub in value.values():
                _require_declared(sub)
        elif key not in _DATA_KEYWORDS:
            _require_declared(value)


def schema_defaults(schema: Mapping[str, Any]) -> Any:
    """Build the default config from the ``default`` of every schema property.

    Objects with ``properties`` are built recursively; an object that has a ``default``
    of its own (e.g. a free-form mapping keyed by track) takes that default.
    """
    if "default" in schema:
        return copy.deepcopy(schema["default"])
    if "properties" in schema and schema.get("type") == "object":
        return {key: schema_defaults(sub) for key, sub in schema["properties"].items()}
    raise ConfigError(f"schema property without default: {schema.get('description', schema)}")


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base`` key by key; lists and scalars are replaced whole."""
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _dotted(path: Any) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    key = _dotted(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        unknown = ".".join([*map(str, error.absolute_path), extra[0]]) if extra else key
        return f"config key '{unknown}': unknown key (allowed here: {', '.join(allowed)})"
    if error.validator == "type":
        return (
            f"config key '{key}': expected {error.validator_value}, "
            f"got {type(error.instance).__name__} {error.instance!r}"
        )
    return f"config key '{key}': {_one_line(error.message)}"


def validate_config(config: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Validate a full config; raise :class:`ConfigError` with one line naming the key."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), e.path))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        raise ConfigError(_describe(best))
    _check_consistency(config)


def _check_crs(crs: str) -> None:
    """The map CRS must be one PROJ knows (checked here, not after hours of processing)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        known = CRS.from_user_input(crs)
    except CRSError:
        raise ConfigError(f"config key 'crs': {crs!r} is not a CRS PROJ knows (e.g. EPSG:2056)") from None
    units = {axis.unit_name for axis in known.axis_info}
    if not known.is_projected or not units <= {"metre", "meter"}:
        raise ConfigError(
            f"config key 'crs': {crs!r} is not a projected CRS in metres (axes in "
            f"{', '.join(sorted(units))}); products are posted in metres (e.g. EPSG:2056, a UTM zone)"
        )


def _refuse_overlap(key: str, values: set[Any], others: Mapping[str, set[Any]]) -> None:
    """Calibration data must be ground the members never trained on and the run never evaluates:
    stop naming ``key`` when ``values`` share anything with one of ``others``."""
    for where, taken in others.items():
        if clash := values & taken:
            raise ConfigError(
                f"config key '{key}': {sorted(clash)} also in {where}; calibration data must be "
                "ground the members never trained on and the run never evaluates"
            )


def _check_consistency(config: Mapping[str, Any]) -> None:
    """Checks a JSON schema cannot express."""
    period = config["period"]
    for key in ("start", "end"):
        try:
            datetime.date.fromisoformat(str(period[key]))
        except ValueError:
            raise ConfigError(
                f"config key 'period.{key}': {period[key]!r} is not a date (YYYY-MM-DD)"
            ) from None
    if str(period["end"]) < str(period["start"]):
        raise ConfigError(
            f"config key 'period.end': {period['end']} is before period.start {period['start']}"
        )
    engine = config["interferogram"]["engine"]
    if config["source"] == "synthetic" and engine != "builtin":
        raise ConfigError(
            "config key 'interferogram.engine': the synthetic source is processed by the builtin engine"
        )
    if config["source"] == "asf" and engine == "builtin":
        raise ConfigError(
            "config key 'interferogram.engine': the builtin engine processes synthetic SLC stores only; "
            "with source asf use snap or hyp3, or none to acquire the data without interferograms"
        )
    if config["source"] == "files" and engine in ("snap", "hyp3"):
        raise ConfigError(
            f"config key 'interferogram.engine': {engine} makes interferograms from SLCs; with "
            "source files the interferograms are given (leave the engine at builtin)"
        )
    if config["source"] == "files" and not (config["files"]["interferograms"] or config["files"]["folder"]):
        raise ConfigError(
            "config key 'files': source files needs files.interferograms or files.folder (with files.layout)"
        )
    if config["download"]["granularity"] == "burst" and not (config["source"] == "asf" and engine == "snap"):
        raise ConfigError(
            "config key 'download.granularity': burst downloads feed the SNAP engine (source asf, "
            "interferogram.engine snap)"
        )
    calibration = config["train"]["calibration"]
    _refuse_overlap(
        "train.calibration.synthetic_seeds",
        set(calibration["synthetic_seeds"]),
        {
            "train.synthetic_seeds": set(config["train"]["synthetic_seeds"]),
            "synthetic.seed": {config["synthetic"]["seed"]},
        },
    )
    _refuse_overlap(
        "train.calibration.labelled",
        {entry["interferogram"] for entry in calibration["labelled"]},
        {
            "train.labelled": {entry["interferogram"] for entry in config["train"]["labelled"]},
            "files.interferograms": {item["phase"] for item in config["files"]["interferograms"]},
        },
    )
    _check_crs(config["crs"])
    for track in config["tracks"]:
        if not 1 <= int(track[1:]) <= RELATIVE_ORBITS:
            raise ConfigError(
                f"config key 'tracks': {track!r} is no Sentinel-1 track "
                f"(relative orbits 1 to {RELATIVE_ORBITS})"
            )
    for key, value in (
        ("posting_m", config["posting_m"]),
        ("synthetic.extent_km", config["synthetic"]["extent_km"]),
    ):
        if not all(math.isfinite(v) for v in (value if isinstance(value, list) else [value])):
            raise ConfigError(f"config key '{key}': {value!r} is not a finite number")
    terrain = config["synthetic"]["terrain"]
    if terrain["elevation_max_m"] <= terrain["elevation_min_m"]:
        raise ConfigError("config key 'synthetic.terrain.elevation_max_m': must exceed elevation_min_m")
    slides = config["synthetic"]["landslides"]
    for low, high in (("area_min_m2", "area_max_m2"), ("velocity_min_m_per_yr", "velocity_max_m_per_yr")):
        if slides[high] <= slides[low]:
            raise ConfigError(f"config key 'synthetic.landslides.{high}': must exceed {low}")
    if not slides["area_min_m2"] <= slides["area_rollover_m2"] <= slides["area_max_m2"]:
        raise ConfigError(
            "config key 'synthetic.landslides.area_rollover_m2': must lie between area_min_m2 and area_max_m2"
        )
    ranges = {
        "rock_glaciers": ("elevation_m", "slope_deg", "area_m2", "aspect_ratio", "velocity_m_per_yr"),
        "slope_deformations": ("area_m2", "aspect_ratio", "slope_deg", "velocity_m_per_yr"),
        "slope_deformations.compartments": ("area_m2", "aspect_ratio", "velocity_m_per_yr"),
        "landslides": ("aspect_ratio", "slope_deg"),
    }
    for section, keys in ranges.items():
        values: Any = config["synthetic"]
        for part in section.split("."):
            values = values[part]
        for key in keys:
            low, high = values[key]
            if high < low:
                raise ConfigError(
                    f"config key 'synthetic.{section}.{key}': [{low}, {high}] is not a range (low, high)"
                )


def resolve_config(
    user_config: Mapping[str, Any] | None = None, schema_path: str | Path | None = None
) -> dict[str, Any]:
    """Return the full, validated config: schema defaults overridden key by key by the user's.

    Parameters
    ----------
    user_config
        A partial config (what ``--configfile`` gave); ``None`` for the defaults alone.
    schema_path
        The schema to validate against; the shipped one by default.
    """
    schema = load_schema(schema_path)
    if user_config is not None and not isinstance(user_config, Mapping):
        kind = type(user_config).__name__
        raise ConfigError(f"the config must be a mapping of keys to values, not a {kind}")
    user = dict(user_config or {})
    # Unknown keys survive the merge and are caught by additionalProperties: false.
    merged = deep_merge(schema_defaults(schema), _dates_as_text(user))
    validate_config(merged, schema)
    return merged


def _dates_as_text(node: Any) -> Any:
    """YAML reads unquoted dates as date objects; the schema expects ISO text."""
    if isinstance(node, Mapping):
        return {key: _dates_as_text(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_dates_as_text(value) for value in node]
    if isinstance(node, datetime.date):
        return node.isoformat()
    return node


def config_digest(config: Mapping[str, Any]) -> str:
    """Return the sha256 of the canonical JSON form of a config or a part of it (the whole
    config in the provenance record, a stage's settings in what the stage writes)."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def primary_detector(config: Mapping[str, Any]) -> str:
    """The detector of a run's likelihood rasters: ``"baseline"`` when ``model.architecture``
    is the classical baseline, else ``"ensemble"`` (the learned members).

    Examples
    --------
    >>> primary_detector({"model": {"architecture": "baseline"}})
    'baseline'
    """
    return "baseline" if config["model"]["architecture"] == "baseline" else "ensemble"


def config_template(schema: Mapping[str, Any]) -> str:
    """Render the default config as commented YAML (the descriptions become comments)."""
    lines: list[str] = [
        "# massmove default configuration (generated from workflow/schemas/config.schema.yaml",
        "# by `massmove config-template`; a test checks that the two agree).",
        "# Give a partial config with --configfile: it overrides these defaults key by key.",
    ]

    def emit(node: Mapping[str, Any], indent: int) -> None:
        for key, sub in node["properties"].items():
            pad = "  " * indent
            description = _one_line(sub.get("description", ""))
            if description:
                lines.append(f"{pad}# {description}")
            if sub.get("type") == "object" and "properties" in sub and "default" not in sub:
                lines.append(f"{pad}{key}:")
                emit(sub, indent + 1)
            else:
                value = yaml.safe_dump(
                    {key: sub["default"]}, default_flow_style=True, sort_keys=False, width=1000
                ).strip()
                lines.append(f"{pad}{value[1:-1]}")

    emit(schema, 0)
    return "\n".join(lines) + "\n"
