import copy
import datetime as dt
import json
import re

import pytest
import yaml

from massmove.config import (
    config_digest,
    config_template,
    deep_merge,
    load_schema,
    load_yaml,
    resolve_config,
    schema_defaults,
    validate_config,
)
from massmove.errors import ConfigError


def test_shipped_config_is_the_schema_defaults(repo):
    schema = load_schema(repo / "workflow/schemas/config.schema.yaml")
    shipped_text = (repo / "config/config.yaml").read_text()
    assert yaml.safe_load(shipped_text) == schema_defaults(schema)
    assert shipped_text == config_template(schema), "regenerate with `massmove config-template`"


def _walk(node, path=""):
    for key, sub in node.get("properties", {}).items():
        yield f"{path}{key}", sub
        if "default" not in sub:
            yield from _walk(sub, f"{path}{key}.")


def test_every_schema_key_is_typed_described_and_defaulted(repo):
    schema = load_schema(repo / "workflow/schemas/config.schema.yaml")
    keys = list(_walk(schema))
    assert len(keys) > 60
    for key, sub in keys:
        assert "type" in sub, key
        assert sub.get("description"), key
        if sub["type"] == "object" and "default" not in sub:
            assert sub.get("additionalProperties") is False, key
            assert set(sub["required"]) == set(sub["properties"]), key
        else:
            assert "default" in sub, key


def test_the_schema_files_name_shapes_and_leave_required_to_the_loader(repo):
    schemas = repo / "workflow/schemas"
    raw = "".join(path.read_text() for path in sorted(schemas.glob("*.yaml")))
    assert "$ref" in raw and "$defs" in raw
    assert not re.search(r"issue [0-9]", raw, re.IGNORECASE), "descriptions name no issue numbers"
    schema = load_schema(schemas / "config.schema.yaml")
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text
    synthetic = schema["properties"]["synthetic"]
    assert synthetic["description"].startswith("The physically based synthetic Sentinel-1 scene")
    assert "$schema" not in synthetic
    rock = synthetic["properties"]["landcover"]["properties"]["rock"]
    # the shape of $defs/landcover_class, the key's own description and default
    assert rock["additionalProperties"] is False
    assert rock["required"] == ["sigma0_db", "gamma_inf", "tau_days"]
    assert rock["description"].startswith("Bare rock") and rock["default"]["tau_days"] == 60.0
    slope = synthetic["properties"]["rock_glaciers"]["properties"]["slope_deg"]
    assert slope["items"] == {"type": "number", "minimum": 0, "maximum": 90} and slope["maxItems"] == 2
    assert synthetic["required"] == list(synthetic["properties"])
    # an explicit required list is kept: the optional fields of list entries stay optional
    entry = schema["properties"]["files"]["properties"]["interferograms"]["items"]
    assert entry["required"] == ["phase", "reference", "secondary"]
    for section in ("labelled", "calibration"):
        node = schema["properties"]["train"]["properties"][section]
        node = node["properties"]["labelled"] if section == "calibration" else node
        assert node["items"]["required"] == ["interferogram", "labels"], section


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("synthetic.landslides.area_min_m2", "key 'synthetic.landslides': 'area_min_m2' is a required"),
        ("synthetic.landcover.rock.tau_days", "key 'synthetic.landcover.rock': 'tau_days' is a required"),
        ("period.start", "config key 'period': 'start' is a required property"),
        ("synthetic", "config key '(top level)': 'synthetic' is a required property"),
    ],
)
def test_a_missing_key_is_named(default_config, key, expected):
    config = copy.deepcopy(default_config)
    *parents, last = key.split(".")
    node = config
    for part in parents:
        node = node[part]
    del node[last]
    with pytest.raises(ConfigError, match=re.escape(expected)):
        validate_config(config, load_schema())


def test_load_schema_inlines_refs_of_its_own_file_and_of_files_beside_it(tmp_path):
    (tmp_path / "part.yaml").write_text(
        "$schema: https://json-schema.org/draft/2020-12/schema\n"
        "type: object\nadditionalProperties: false\ndescription: A part.\n"
        "properties:\n  size: {$ref: 'main.yaml#/$defs/positive', description: Size., default: 1}\n"
    )
    (tmp_path / "main.yaml").write_text(
        "type: object\nadditionalProperties: false\n"
        "properties:\n  part: {$ref: part.yaml}\n"
        "  when: {$ref: '#/$defs/positive', description: When., default: 2}\n"
        "$defs:\n  positive: {type: number, exclusiveMinimum: 0}\n"
    )
    schema = load_schema(tmp_path / "main.yaml")
    assert schema == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "part": {
                "type": "object",
                "additionalProperties": False,
                "description": "A part.",
                "properties": {
                    "size": {"type": "number", "exclusiveMinimum": 0, "description": "Size.", "default": 1}
                },
                "required": ["size"],
            },
            "when": {"type": "number", "exclusiveMinimum": 0, "description": "When.", "default": 2},
        },
        "required": ["part", "when"],
    }
    assert schema_defaults(schema) == {"part": {"size": 1}, "when": 2}
    assert "# A part.\npart:\n  # Size.\n  size: 1\n# When.\nwhen: 2\n" in config_template(schema)


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ("{$ref: '#/$defs/nothing'}", "$ref '#/$defs/nothing' names nothing in main.yaml"),
        ("{$ref: 'missing.yaml'}", "config file not found"),
        ("{$ref: 'https://example.org/s.json'}", "is not a file beside it or a #/pointer"),
        ("{$ref: '#/$defs/loop'}", "$ref '#/$defs/loop' refers to itself"),
        ("{$ref: '#/$defs/shape', minimum: 1}", "minimum beside $ref '#/$defs/shape' would replace"),
    ],
)
def test_a_bad_ref_is_one_line_naming_it(tmp_path, node, expected):
    (tmp_path / "main.yaml").write_text(
        f"type: object\nproperties:\n  key: {node}\n"
        "$defs:\n  loop: {$ref: '#/$defs/loop'}\n  shape: {type: number, minimum: 0}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_schema(tmp_path / "main.yaml")
    assert expected in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"synthetic": {"extnt_km": [1, 1]}}, "config key 'synthetic.extnt_km': unknown key"),
        (
            {"synthetic": {"landcover": {"rock": {"gama_inf": 0.2}}}},
            "config key 'synthetic.landcover.rock.gama_inf': unknown key (allowed here: gamma_inf, sigma0_db",
        ),
        (
            {"synthetic": {"rock_glaciers": {"slope_deg": [5, 95]}}},
            "config key 'synthetic.rock_glaciers.slope_deg.1': 95 is greater than the maximum of 90",
        ),
        (
            {"synthetic": {"slope_deformations": {"compartments": {"area_m2": [1, 2, 3]}}}},
            "config key 'synthetic.slope_deformations.compartments.area_m2': [1, 2, 3] is too long",
        ),
        (
            {"synthetic": {"landslides": {"edge_irregularity": 0.9}}},
            "config key 'synthetic.landslides.edge_irregularity': 0.9 is greater than the maximum of 0.5",
        ),
        (
            {"train": {"labelled": [{"interferogram": "a.tif"}]}},
            "config key 'train.labelled.0': 'labels' is a required property",
        ),
        (
            {"period": {"end": "30-09-2018"}},
            "config key 'period.end': '30-09-2018' does not match",
        ),
        ({"posting_m": "fine"}, "config key 'posting_m': expected number, got str 'fine'"),
        ({"tracks": ["A88"]}, "config key 'tracks.0'"),
        ({"interferogram": {"engine": "gamma"}}, "config key 'interferogram.engine'"),
        ({"interferogram": {"goldstein": {"alpha": 2}}}, "config key 'interferogram.goldstein.alpha'"),
        ({"period": {"start": "2018-09-01", "end": "2018-08-01"}}, "config key 'period.end'"),
        ({"foo": 1}, "config key 'foo': unknown key"),
        ({"crs": "EPSG:999999"}, "config key 'crs': 'EPSG:999999' is not a CRS PROJ knows"),
        (
            {"crs": "EPSG:4326"},
            "config key 'crs': 'EPSG:4326' is not a projected CRS in metres (axes in degree)",
        ),
        (
            {"crs": "EPSG:2227"},
            "config key 'crs': 'EPSG:2227' is not a projected CRS in metres (axes in US survey",
        ),
        (
            {"period": {"start": "2018-02-30"}},
            "config key 'period.start': '2018-02-30' is not a date (YYYY-MM-DD)",
        ),
        (
            {"tracks": ["A999"]},
            "config key 'tracks': 'A999' is no Sentinel-1 track (relative orbits 1 to 175)",
        ),
        ({"tracks": ["D000"]}, "config key 'tracks': 'D000' is no Sentinel-1 track"),
        ({"posting_m": float("nan")}, "config key 'posting_m': nan is not a finite number"),
        ({"source": "asf"}, "config key 'interferogram.engine': the builtin engine processes synthetic"),
        (
            {"train": {"calibration": {"synthetic_seeds": [101]}}},
            "config key 'train.calibration.synthetic_seeds': [101] also in train.synthetic_seeds",
        ),
        (
            {"train": {"calibration": {"synthetic_seeds": [20180801]}}},
            "config key 'train.calibration.synthetic_seeds': [20180801] also in synthetic.seed",
        ),
        ({"train": {"calibration": {"min_areas_m2": [-1]}}}, "config key 'train.calibration.min_areas_m2.0'"),
        (
            {
                "train": {
                    "labelled": [{"interferogram": "a.tif", "labels": "a.gpkg"}],
                    "calibration": {"labelled": [{"interferogram": "a.tif", "labels": "b.gpkg"}]},
                }
            },
            "config key 'train.calibration.labelled': ['a.tif'] also in train.labelled",
        ),
    ],
)
def test_bad_config_names_the_key_in_one_line(override, expected):
    with pytest.raises(ConfigError) as err:
        resolve_config(override)
    message = str(err.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_partial_config_overrides_key_by_key(default_config):
    config = resolve_config({"synthetic": {"seed": 7, "landslides": {"density_per_km2": 1.5}}})
    assert config["synthetic"]["seed"] == 7
    assert config["synthetic"]["landslides"]["density_per_km2"] == 1.5
    # siblings keep their defaults
    assert (
        config["synthetic"]["landslides"]["area_min_m2"]
        == default_config["synthetic"]["landslides"]["area_min_m2"]
    )
    assert config["synthetic"]["extent_km"] == default_config["synthetic"]["extent_km"]
    assert config["tracks"] == ["A088", "D066"]


def test_unquoted_yaml_dates_are_accepted():
    config = resolve_config({"period": {"start": dt.date(2019, 7, 1), "end": dt.date(2019, 8, 30)}})
    assert config["period"] == {"start": "2019-07-01", "end": "2019-08-30"}


def test_digest_changes_with_any_value(default_config):
    changed = deep_merge(default_config, {"synthetic": {"seed": default_config["synthetic"]["seed"] + 1}})
    assert config_digest(default_config) == config_digest(resolve_config(None))
    assert config_digest(changed) != config_digest(default_config)
    assert len(config_digest(default_config)) == 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "the config must be a mapping of keys to values, not a list"),
        ("just text\n", "the config must be a mapping of keys to values, not a str"),
        (
            "period:\n  start: 2018-02-30\n",
            "{path}: not valid YAML (day is out of range for month; quote dates",
        ),
    ],
)
def test_a_config_file_that_is_no_mapping_or_holds_an_impossible_date_is_one_line(tmp_path, text, expected):
    import subprocess
    import sys

    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "massmove.cli", "check-config", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 1 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("massmove: error: " + expected.format(path=path))


def test_every_example_config_is_valid():
    from tests.runs import REPO

    examples = sorted((REPO / "config" / "examples").glob("*.yaml"))
    assert {p.name for p in examples} >= {"train-large.yaml", "valais.yaml", "files.yaml"}
    for path in examples:
        config = resolve_config(load_yaml(path))
        assert config["source"] in ("synthetic", "asf", "files"), path
    large = resolve_config(load_yaml(REPO / "config" / "examples" / "train-large.yaml"))
    assert (
        large["train"]["movement_density_factor"] > 1
        and len(large["train"]["calibration"]["synthetic_seeds"]) == 3
    )
