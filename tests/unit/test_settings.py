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
            assert select(config, keys), stage


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
    assert len(rows) == 29
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
        "values": {"evaluation": {"iou_threshold": default_config["evaluation"]["iou_threshold"]}},
    }
