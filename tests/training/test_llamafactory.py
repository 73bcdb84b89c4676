"""LLaMA-Factory export: sharegpt rows that read back into the same conversations, dataset_info and YAMLs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from train_helpers import train_problems

from toolwise.bench.backends.scripted import OracleBackend
from toolwise.training import llamafactory as lf
from toolwise.training.collect import collect
from toolwise.training.config import CollectConfig, TrainConfig, TUAConfig
from toolwise.training.conversations import preference_pair
from toolwise.training.tua import Difficulty, tua_examples


def _examples(form: str) -> list[dict]:
    problems = train_problems(4)
    records = collect(problems, OracleBackend(), CollectConfig(), progress=False).records
    split = [Difficulty(p.id, [1.0], 1.0, i % 2 == 0) for i, p in enumerate(problems)]
    examples, _ = tua_examples(records, {p.id: p for p in problems}, split, TUAConfig(direct_form=form))
    return examples


def _comparable(messages: list[dict]) -> list[dict]:
    """Messages without the call ids, which sharegpt does not carry (they are regenerated in order)."""
    out = []
    for m in messages:
        m = {k: v for k, v in m.items() if k not in ("tool_call_id", "id")}
        if m.get("tool_calls"):
            m["tool_calls"] = [{"type": "function", "function": c["function"]} for c in m["tool_calls"]]
        out.append(m)
    return out


@pytest.mark.parametrize("form", ["lead", "answer_call", "plain"])
def test_every_tua_example_reads_back_into_the_same_conversation(form: str) -> None:
    examples = _examples(form)
    assert {e["kind"] for e in examples} == {"direct", "tool", "no_tool"}
    for example in examples:
        row = lf.to_sharegpt(example["messages"], example["tools"])
        json.dumps(row)  # plain JSON
        messages, tools = lf.from_sharegpt(row)
        assert _comparable(messages) == _comparable(example["messages"])
        assert tools == example["tools"]


def test_roles_follow_llamafactory_tags_and_positions() -> None:
    tool_example = next(e for e in _examples("lead") if e["kind"] == "tool")
    row = lf.to_sharegpt(tool_example["messages"], tool_example["tools"])
    roles = [t["from"] for t in row["conversations"]]
    assert roles == ["human", "function_call", "observation", "gpt"]
    # LLaMA-Factory: human/observation at odd positions, gpt/function_call at even ones (1-based).
    assert all((r in ("human", "observation")) == (i % 2 == 0) for i, r in enumerate(roles))
    assert json.loads(row["conversations"][1]["value"])["name"] == "toy_multiply"
    assert json.loads(row["tools"])[0]["name"] == "toy_multiply"
    assert row["system"].startswith("Answer the following question.")


def test_text_beside_a_call_is_refused_not_dropped() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": {}}}
    with pytest.raises(lf.ExportError, match="beside a tool call"):
        lf.to_sharegpt(
            [{"role": "user", "content": "q"}, {"role": "assistant", "content": "hm", "tool_calls": [call]}], None
        )


def test_files_dataset_info_and_yamls(tmp_path: Path) -> None:
    problems = train_problems(2)
    pairs = [preference_pair(p, "good, so the answer is A", "bad", 1.0, 0.0) for p in problems]
    lf.export_sft(tmp_path, "toolwise_tua_sft", _examples("lead"))
    lf.export_dpo(tmp_path, "toolwise_wkd_dpo", pairs)
    info = json.loads((tmp_path / "dataset_info.json").read_text())
    assert info["toolwise_tua_sft"] == {
        "file_name": "toolwise_tua_sft.json",
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
    }
    assert info["toolwise_wkd_dpo"]["ranking"] is True
    dpo_rows = json.loads((tmp_path / "toolwise_wkd_dpo.json").read_text())
    assert dpo_rows[0]["chosen"] == {"from": "gpt", "value": "good, so the answer is A"}
    assert dpo_rows[0]["conversations"][0]["from"] == "human"

    config = TrainConfig(base="meta-llama/Llama-3.1-8B-Instruct")
    settings = yaml.safe_load(lf.stage_yaml(config, config.tua, "ckpt/wkd", "toolwise_tua_sft", "tua", "sft"))
    assert settings | {} == {
        "model_name_or_path": "ckpt/wkd",
        "stage": "sft",
        "do_train": True,
        "finetuning_type": "full",
        "dataset": "toolwise_tua_sft",
        "dataset_dir": ".",
        "template": "llama3",
        "cutoff_len": 5000,
        "output_dir": "tua",
        "per_device_train_batch_size": 1,
        "gradient_accumulation_steps": 16,
        "learning_rate": 1e-5,
        "num_train_epochs": 2.0,
        "lr_scheduler_type": "cosine",
        "warmup_ratio": 0.1,
        "bf16": True,
        "logging_steps": 10,
        "seed": 42,
    }
    dpo = yaml.safe_load(lf.stage_yaml(config, config.wkd, "wkd_sft", "toolwise_wkd_dpo", "dpo", "dpo"))
    assert (dpo["stage"], dpo["pref_beta"], dpo["learning_rate"]) == ("dpo", 0.1, 5e-7)
