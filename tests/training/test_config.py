"""Configuration: defaults with help, YAML, dotted overrides with type coercion, per-stage fingerprints."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from toolwise.training.config import (
    CollectConfig,
    TrainConfig,
    TUAConfig,
    WKDConfig,
    build_config,
    config_field,
    field_help,
    setting_choices,
    setting_help,
)


@pytest.mark.parametrize("cls", [CollectConfig, WKDConfig, TUAConfig, TrainConfig])
def test_every_field_has_a_default_and_help(cls: type) -> None:
    for f in dataclasses.fields(cls):
        assert f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING, f.name
    helps = field_help(cls)
    missing = [name for name, text in helps.items() if not text and name not in ("collect", "wkd", "tua", "eval")]
    assert not missing


def test_defaults_follow_the_paper_recipe() -> None:
    cfg = TrainConfig()
    assert (cfg.wkd.learning_rate, cfg.wkd.num_train_epochs, cfg.wkd.lr_scheduler_type) == (1e-5, 2.0, "cosine")
    assert (cfg.wkd.per_device_train_batch_size, cfg.wkd.gradient_accumulation_steps) == (1, 16)
    assert cfg.wkd.max_length == 5000 and not cfg.wkd.use_lora
    assert cfg.tua.easy_hard_ratio == 1.0 and cfg.tua.mix_no_tool and cfg.wkd.dpo_beta == 0.1


def test_yaml_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(
        "base: some/model\ntask: pde_tool\nwkd: {learning_rate: 3.0e-5, use_lora: true}\n"
        "collect: {teacher: openai, teacher_args: {model: gpt-4o}}\n"
    )
    cfg = build_config(path, {"wkd.lora_r": "8", "tua.easy_hard_ratio": "none", "tua.k_samples": 6})
    assert cfg.base == "some/model" and cfg.wkd.learning_rate == 3e-5 and cfg.wkd.use_lora
    assert cfg.collect.teacher_args == {"model": "gpt-4o"}
    assert cfg.wkd.lora_r == 8 and cfg.tua.easy_hard_ratio is None and cfg.tua.k_samples == 6


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"wkd.learnin_rate": 1}, "unknown setting 'wkd.learnin_rate'"),
        ({"tua.k_samples": "many"}, "tua.k_samples"),
        ({"tua.k_samples": 2.5}, "expected an integer"),
        ({"collect.solution_source": "gpt"}, "not one of dataset, teacher"),
        ({"wkd.use_lora": "maybe"}, "not a boolean"),
    ],
)
def test_bad_settings_are_named(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_config(None, overrides)


def test_fingerprint_depends_on_the_stage_and_shared_settings_only() -> None:
    a = build_config(None, {"base": "m", "task": "pde_tool"})
    b = build_config(None, {"base": "m", "task": "pde_tool", "tua.k_samples": 9, "out": "elsewhere"})
    assert a.fingerprint("collect") == b.fingerprint("collect")
    assert a.fingerprint("wkd") == b.fingerprint("wkd")
    assert a.fingerprint("tua") != b.fingerprint("tua")
    c = build_config(None, {"base": "other", "task": "pde_tool"})
    assert a.fingerprint("collect") != c.fingerprint("collect")


def test_a_dotted_key_names_one_field_and_its_help() -> None:
    assert config_field("wkd.lora_r")[1] is int and config_field("sampler")[0].default == "auto"
    assert setting_help("wkd.use_lora", "tua.use_lora") == field_help(WKDConfig)["use_lora"]
    assert setting_help("tua.sample_max_gen_toks", "wkd.proposal_max_gen_toks") == (
        "tua.sample_max_gen_toks: Token cap of one sampled answer. wkd.proposal_max_gen_toks: Token cap of one proposal."
    )
    assert setting_choices("tua.direct_form") == ("lead", "answer_call", "plain")
    assert setting_choices("collect.n_train") is None
    for key in ("wkd", "wkd.nope", "nope", "collect.n_train.x"):
        with pytest.raises(KeyError):
            config_field(key)
