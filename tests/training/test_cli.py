"""``toolwise train`` maps flags and YAML onto the config and runs the stages it is asked for."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from train_helpers import train_problems
from typer.testing import CliRunner

from toolwise.bench.problem import write_jsonl
from toolwise.training.cli import CONFIG_FLAGS, app, overrides_from_flags
from toolwise.training.config import TrainConfig, config_field, field_help, setting_choices

runner = CliRunner()


def test_flags_yaml_and_set_build_one_config(tmp_path: Path) -> None:
    (tmp_path / "run.yaml").write_text("base: from/yaml\nwkd: {lora_r: 4}\ntua: {k_samples: 2}\n")
    result = runner.invoke(
        app,
        [
            "--config", str(tmp_path / "run.yaml"), "--task", "pde_tool", "--out", str(tmp_path / "o"),
            "--lora", "--epochs", "3", "--teacher", "openai", "--teacher-args", "model=gpt-4o,max_retries=2",
            "--set", "tua.k_samples=5", "--set", "wkd.trainer_overrides={optim: adamw_torch}", "--show-config",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(result.output)
    assert shown["base"] == "from/yaml" and shown["task"] == "pde_tool"
    assert shown["wkd"]["use_lora"] and shown["tua"]["use_lora"] and shown["wkd"]["lora_r"] == 4
    assert shown["wkd"]["num_train_epochs"] == shown["tua"]["num_train_epochs"] == 3.0
    assert shown["collect"]["teacher"] == "openai"
    assert shown["collect"]["teacher_args"] == {"model": "gpt-4o", "max_retries": 2}
    assert shown["tua"]["k_samples"] == 5 and shown["wkd"]["trainer_overrides"] == {"optim": "adamw_torch"}


def test_bad_input_is_reported_not_raised(tmp_path: Path) -> None:
    assert "unknown setting" in runner.invoke(app, ["--out", "x", "--task", "t", "--set", "wkd.nope=1"]).output
    assert "missing: out" in runner.invoke(app, ["--task", "pde_tool"]).output
    result = runner.invoke(app, ["--out", str(tmp_path), "--task", "pde_tool", "--stage", "sft"])
    assert result.exit_code != 0 and "unknown stage 'sft'" in result.output
    result = runner.invoke(app, ["--out", str(tmp_path), "--task", "pde_tool", "--stage", "tua"])
    assert result.exit_code == 2 and "needs stage 'wkd' first" in result.output


def test_collect_stage_from_the_command_line(tmp_path: Path) -> None:
    write_jsonl(train_problems(4), tmp_path / "train.jsonl")
    args = ["--train-file", str(tmp_path / "train.jsonl"), "--out", str(tmp_path / "o"), "--quiet"]
    result = runner.invoke(app, [*args, "--stage", "collect", "--teacher", "oracle"])
    assert result.exit_code == 0, result.output
    state = json.loads((tmp_path / "o" / "state.json").read_text())
    assert state["stages"]["collect"]["summary"]["kept"] == 4
    assert "done: collect" in result.output
    again = runner.invoke(app, [*args, "--stage", "collect", "--teacher", "oracle"])
    assert "already done, skipped" in again.output
    stale = runner.invoke(app, [*args, "--stage", "collect", "--n-train", "3"])
    assert stale.exit_code == 2 and "--force" in stale.output
    forced = runner.invoke(app, [*args, "--stage", "collect", "--n-train", "3", "--force"])
    assert forced.exit_code == 0, forced.output
    state = json.loads((tmp_path / "o" / "state.json").read_text())
    assert state["stages"]["collect"]["summary"]["kept"] == 3


def test_overrides_ignore_flags_not_given() -> None:
    assert overrides_from_flags({"base": None, "use_lora": None, "n_train": 7}, None) == {"collect.n_train": 7}


def test_sampler_and_eval_flags(tmp_path: Path) -> None:
    args = ["--task", "pde_tool", "--out", str(tmp_path / "o")]
    shown = yaml.safe_load(
        runner.invoke(app, [*args, "--sampler", "vllm", "--eval-limit", "5", "--show-config"]).output
    )
    assert shown["sampler"] == "vllm" and shown["eval"]["limit"] == 5
    assert yaml.safe_load(runner.invoke(app, [*args, "--show-config"]).output)["sampler"] == "auto"
    bad = runner.invoke(app, [*args, "--sampler", "llamacpp", "--show-config"])
    assert bad.exit_code != 0 and "llamacpp" in bad.output
    # --stage eval is a stage name, and like --eval it needs a trained model first
    for flags in (["--stage", "eval"], ["--stage", "collect", "--eval", "--teacher", "oracle", "--n-train", "2"]):
        result = runner.invoke(app, [*args, *flags, "--quiet"])
        assert result.exit_code == 2 and "evaluation needs the tua stage finished" in result.output, result.output


def test_config_flags_show_the_help_of_the_fields_they_set() -> None:
    not_fields = [key for spec in CONFIG_FLAGS.values() for key in spec.keys if not _is_field(key)]
    assert not not_fields, f"CONFIG_FLAGS names settings that do not exist: {not_fields}"
    params = {param.name: param for param in typer.main.get_command(app).params}
    shown = runner.invoke(app, ["--help"], env={"COLUMNS": "120"}).output
    flat = " ".join(shown.replace("│", " ").split())  # rich wraps the help column inside a box
    for flag, spec in CONFIG_FLAGS.items():
        helps = {config_field(key)[0].metadata["help"] for key in spec.keys}
        assert len(helps) == 1, f"--{flag} sets fields with different help: {spec.keys}"
        (text,) = helps
        assert text in (params[flag].help or ""), flag
        assert " ".join(text.split()) in flat, f"--{flag}'s help is not the help of {spec.keys[0]}"
        choices = setting_choices(spec.keys[0])
        if choices is not None:  # a Literal field's flag is a choice of its values
            bad = runner.invoke(app, ["--out", "o", "--task", "t", f"--{flag.replace('_', '-')}", "nope"])
            assert bad.exit_code != 0 and all(repr(value) in bad.output for value in choices), bad.output
    # a flag that sets a setting goes through CONFIG_FLAGS, so no other flag is named like a top-level field
    others = {name for name in params if name not in CONFIG_FLAGS}
    assert not others & set(field_help(TrainConfig)), others & set(field_help(TrainConfig))


def _is_field(key: str) -> bool:
    try:
        config_field(key)
    except KeyError:
        return False
    return True


def test_a_flag_of_both_sft_stages_sets_both_and_a_choice_arrives_as_text() -> None:
    overrides = overrides_from_flags({"learning_rate": 2e-4, "teacher_args": "model=gpt-4o", "teacher_args_x": 1}, [])
    assert overrides == {
        "wkd.learning_rate": 2e-4,
        "tua.learning_rate": 2e-4,
        "collect.teacher_args": {"model": "gpt-4o"},
    }
    result = runner.invoke(app, ["--out", "o", "--task", "t", "--solution-source", "teacher", "--show-config"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.output)["collect"]["solution_source"] == "teacher"
