"""What each stage reads of the config (massmove.settings): declared once, passed by every rule,
enforced when a stage runs."""

from __future__ import annotations

import importlib
import re

import pytest

import massmove.stages
from massmove.config import load_yaml, resolve_config
from massmove.errors import ConfigError
from massmove.settings import STAGE_KEYS, StageSettings, select, stage_params
from tests.runs import REPO

RULES = REPO / "workflow" / "rules"
SCRIPTS = REPO / "workflow" / "scripts"


def test_every_declared_key_is_a_config_key(default_config):
    asf = resolve_config(load_yaml(REPO / "config" / "examples" / "valais.yaml"))
    for stage, keys in STAGE_KEYS.items():
        for config in (default_config, asf):
            assert select(config, keys) or keys == (), stage  # () : a stage that reads no setting
    assert [stage for stage, keys in STAGE_KEYS.items() if keys == ()] == ["raster_styles"]


def test_every_rule_passes_its_stages_settings_and_every_stage_has_a_rule():
    text = "\n".join(path.read_text() for path in sorted(RULES.glob("*.smk")))
    rules = re.findall(r"^ *(?:rule|checkpoint) (\w+):", text, flags=re.M)
    blocks = re.split(r"^ *(?:rule|checkpoint) \w+:", text, flags=re.M)[1:]
    used = set()
    for rule, block in zip(rules, blocks, strict=True):
        plain = re.findall(r'settings=settings_of\("([\w:]+)"\)', block)
        by_detector = re.findall(r'settings=detector_settings_of\("(\w+)"\)', block)
        assert len(plain) + len(by_detector) == 1, f"rule {rule}: no params.settings"
        stages = plain or [f"{by_detector[0]}:ensemble", f"{by_detector[0]}:baseline"]
        assert set(stages) <= set(STAGE_KEYS), rule
        used |= set(stages)
        assert "lookup(" not in block, f"rule {rule}: passes config keys beside its settings"
    assert used == set(STAGE_KEYS)


def test_scripts_hand_their_stage_the_rules_settings_not_the_config():
    for script in sorted(SCRIPTS.glob("*.py")):
        text = script.read_text()
        assert "snakemake.config" not in text, script.name
        assert "StageSettings.from_rule(snakemake.params.settings)" in text, script.name


def test_the_stage_table_names_functions_that_exist():
    rows = re.findall(
        r"^(\w[\w ()]*?)\s{2,}(\w+_stage)\s+(stages\.\w+)$", massmove.stages.__doc__, flags=re.M
    )
    assert len(rows) == 32
    for _, function, module in rows:
        assert callable(getattr(importlib.import_module(f"massmove.{module}"), function)), function


def test_a_stage_reads_only_what_its_rule_declares(default_config):
    settings = StageSettings.from_config("vectorise", default_config)
    assert settings["detection"]["threshold"] is None
    with pytest.raises(
        ConfigError, match=r"stage 'vectorise' reads config key 'crs', which its rule does not"
    ):
        settings["crs"]
    with pytest.raises(ConfigError, match=r"config key 'detection.nonsense'"):
        settings["detection"].get("nonsense")
    train = StageSettings.from_config("train", default_config)
    assert "calibration" not in train["train"] and "checkpoints" not in train["model"]


def test_settings_survive_pickling_and_copying(default_config):
    import copy
    import pickle

    settings = StageSettings.from_config("train", default_config)
    for again in (pickle.loads(pickle.dumps(settings)), copy.deepcopy(settings)):
        assert again == settings and again.digest == settings.digest
        with pytest.raises(ConfigError, match="stage 'train'"):
            again["train"]["calibration"]
    reseeded = StageSettings.from_config("training_scene", default_config).with_values(
        {"synthetic": {"seed": 5}}
    )
    assert reseeded["synthetic"]["seed"] == 5 and reseeded.stage == "training_scene"


def test_the_digest_follows_the_declared_keys_only(default_config):
    def digest(stage, override):
        return StageSettings.from_config(stage, resolve_config(override)).digest

    base = StageSettings.from_config("segment:ensemble", default_config).digest
    assert digest("segment:ensemble", {}) == base
    assert digest("segment:ensemble", {"train": {"patch_px": 64}}) != base
    assert digest("segment:ensemble", {"train": {"epochs": 3}}) == base
    assert digest("segment:baseline", {"segment": {"precision": "bf16"}}) == digest("segment:baseline", {})
    assert stage_params(default_config, "evaluation") == {
        "stage": "evaluation",
        "values": {
            "evaluation": {
                "iou_threshold": default_config["evaluation"]["iou_threshold"],
                "class_column": "class",
                "reference_class": "coherent",
            },
            "detection": {"min_support": 2, "support": {"independent_pairs": True}},
        },
    }


def test_label_dense_training_scenes_multiply_landslides_and_rock_glaciers_only(default_config):
    from massmove.stages.model import training_scene_config

    config = resolve_config({"train": {"movement_density_factor": 4.0}})
    training = StageSettings.from_config("training_scene", config)
    dense = training_scene_config(training, 7, training["train"]["movement_density_factor"])
    synthetic = default_config["synthetic"]
    assert dense["synthetic"]["seed"] == 7
    assert (
        dense["synthetic"]["landslides"]["density_per_km2"] == 4 * synthetic["landslides"]["density_per_km2"]
    )
    assert (
        dense["synthetic"]["rock_glaciers"]["density_per_km2"]
        == 4 * synthetic["rock_glaciers"]["density_per_km2"]
    )
    assert dense["synthetic"]["slope_deformations"] == synthetic["slope_deformations"]
    # the calibration scene's stage does not read the factor: its scenes keep the published densities
    calibration = StageSettings.from_config("calibration_scene", config)
    with pytest.raises(ConfigError, match="stage 'calibration_scene'"):
        calibration["train"]["movement_density_factor"]
    plain = training_scene_config(calibration, 7)
    assert plain["synthetic"]["landslides"] == synthetic["landslides"]


def test_every_rule_takes_the_files_its_stage_reads_through_the_config_as_inputs():
    """An AOI file, a user DEM or orbit directory, a replayed search: a rule whose stage reads
    one takes it as an input (``config_files_of``), so an edited file reruns that rule."""
    from massmove.settings import config_named_files, stage_keys

    config = resolve_config(
        {
            "aoi": "aoi.geojson",
            "dem": {"path": "dem.tif"},
            "orbits": {"path": "orbits.EOF"},
            "search": {"response": "response.json", "burst_response": ["bursts.json"]},
        }
    )
    rules = REPO / "workflow" / "rules"
    blocks = re.split(
        r"(?m)^(?=(?:rule|checkpoint) \w+:)", "".join(p.read_text() for p in sorted(rules.glob("*.smk")))
    )
    reading = {}
    for block in blocks:
        if match := re.search(r'settings=settings_of\("([\w:]+)"\)', block):
            stage = match.group(1)
            if config_named_files(select(config, stage_keys(stage))):
                reading[stage] = f'named=config_files_of("{stage}")' in block
    assert {"search", "dem", "orbit", "import_interferogram", "provenance"} <= set(reading)
    assert all(reading.values()), [stage for stage, ok in reading.items() if not ok]
