"""Each stage's data for LLaMA-Factory, the trainer the paper used: sharegpt files, dataset_info.json, YAMLs.

Users who keep LLaMA-Factory can train on exactly the conversations toolwise
builds. A conversation becomes sharegpt with LLaMA-Factory's default role tags:
``human`` (user), ``gpt`` (assistant text), ``function_call`` (an assistant tool
call: ``{"name", "arguments"}`` as JSON), ``observation`` (the tool result); the
system prompt and the tools (a JSON list of function schemas) get their own
columns. Preference pairs use ``ranking: true`` with ``chosen``/``rejected``.
``from_sharegpt`` reads a row back into toolwise's message convention, and the
tests require the round trip to give the same conversation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from toolwise.training.config import SFTStageConfig, TrainConfig, WKDConfig

SHAREGPT_COLUMNS = {"messages": "conversations", "system": "system", "tools": "tools"}
RANKING_COLUMNS = {"messages": "conversations", "system": "system", "chosen": "chosen", "rejected": "rejected"}


class ExportError(ValueError):
    """A conversation that sharegpt cannot carry (e.g. text and a tool call in one assistant turn)."""


def _turn(message: dict[str, Any]) -> dict[str, str]:
    role = message["role"]
    if role == "user":
        return {"from": "human", "value": message.get("content") or ""}
    if role == "tool":
        return {"from": "observation", "value": message.get("content") or ""}
    if role != "assistant":
        raise ExportError(f"a {role!r} message cannot stand inside a sharegpt conversation")
    calls = message.get("tool_calls") or []
    if not calls:
        return {"from": "gpt", "value": message.get("content") or ""}
    if (message.get("content") or "").strip():
        raise ExportError("sharegpt has no place for text beside a tool call in one assistant turn")
    payload = [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]} for c in calls]
    return {"from": "function_call", "value": json.dumps(payload[0] if len(payload) == 1 else payload)}


def _split_system(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    if messages and messages[0]["role"] == "system":
        return messages[0].get("content") or "", messages[1:]
    return "", messages


def to_sharegpt(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> dict[str, str | list]:
    """One SFT conversation as a sharegpt row."""
    system, rest = _split_system(messages)
    row: dict[str, Any] = {"conversations": [_turn(m) for m in rest], "system": system}
    row["tools"] = json.dumps([t.get("function", t) for t in tools]) if tools else ""
    return row


def preference_to_sharegpt(pair: dict[str, Any]) -> dict[str, Any]:
    """A DPO pair (trl's conversational prompt/chosen/rejected) as a sharegpt ranking row."""
    system, rest = _split_system(pair["prompt"])
    return {
        "conversations": [_turn(m) for m in rest],
        "system": system,
        "chosen": _turn(pair["chosen"][-1]),
        "rejected": _turn(pair["rejected"][-1]),
    }


def from_sharegpt(row: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """A sharegpt row back in toolwise's convention (messages, tools); call ids are regenerated in order."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": row["system"]}] if row.get("system") else []
    pending: list[dict[str, Any]] = []
    for index, turn in enumerate(row["conversations"]):
        kind, value = turn["from"], turn["value"]
        if kind == "human":
            messages.append({"role": "user", "content": value})
        elif kind == "gpt":
            messages.append({"role": "assistant", "content": value})
        elif kind == "function_call":
            payload = json.loads(value)
            payload = payload if isinstance(payload, list) else [payload]
            pending = [
                {
                    "id": f"call_{index}_{k}",
                    "type": "function",
                    "function": {"name": p["name"], "arguments": p["arguments"]},
                }
                for k, p in enumerate(payload)
            ]
            messages.append({"role": "assistant", "content": "", "tool_calls": list(pending)})
        elif kind == "observation":
            call = pending.pop(0) if pending else {"id": None, "function": {"name": None}}
            messages.append(
                {"role": "tool", "tool_call_id": call["id"], "name": call["function"]["name"], "content": value}
            )
        else:
            raise ExportError(f"unknown sharegpt role {kind!r}")
    tools = json.loads(row["tools"]) if row.get("tools") else None
    return messages, [{"type": "function", "function": t} for t in tools] if tools else None


def write_stage(folder: str | Path, name: str, rows: list[dict[str, Any]], ranking: bool = False) -> Path:
    """``<folder>/<name>.json`` and its entry in ``<folder>/dataset_info.json`` (other entries are kept)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    info_path = folder / "dataset_info.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.exists() else {}
    entry: dict[str, Any] = {"file_name": path.name, "formatting": "sharegpt"}
    entry |= {"ranking": True, "columns": RANKING_COLUMNS} if ranking else {"columns": SHAREGPT_COLUMNS}
    info[name] = entry
    info_path.write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return path


def export_sft(folder: str | Path, name: str, examples: list[dict[str, Any]]) -> Path:
    return write_stage(folder, name, [to_sharegpt(e["messages"], e["tools"]) for e in examples])


def export_dpo(folder: str | Path, name: str, pairs: list[dict[str, Any]]) -> Path:
    return write_stage(folder, name, [preference_to_sharegpt(p) for p in pairs], ranking=True)


def template_name(model: str) -> str:
    """LLaMA-Factory's chat template for a model id (check it against your model: this is a guess by name)."""
    lowered = model.lower()
    for key, template in (("llama-3", "llama3"), ("llama3", "llama3"), ("qwen3", "qwen3"), ("qwen", "qwen")):
        if key in lowered:
            return template
    return "default"


def stage_yaml(
    config: TrainConfig, stage: SFTStageConfig, model: str, dataset: str, output_dir: str, kind: str = "sft"
) -> str:
    """A LLaMA-Factory training YAML with the stage's hyper-parameters (the paper's, by default)."""
    settings: dict[str, Any] = {
        "model_name_or_path": model,
        "stage": kind,
        "do_train": True,
        "finetuning_type": "lora" if stage.use_lora else "full",
        "dataset": dataset,
        "dataset_dir": ".",
        "template": template_name(config.base),
        "cutoff_len": stage.max_length,
        "output_dir": output_dir,
        "per_device_train_batch_size": stage.per_device_train_batch_size,
        "gradient_accumulation_steps": stage.gradient_accumulation_steps,
        "learning_rate": stage.learning_rate,
        "num_train_epochs": stage.num_train_epochs,
        "lr_scheduler_type": stage.lr_scheduler_type,
        "warmup_ratio": stage.warmup_ratio,
        "bf16": stage.bf16 is not False,
        "logging_steps": stage.logging_steps,
        "seed": stage.seed,
    }
    if stage.use_lora:
        target = stage.lora_target_modules
        settings |= {
            "lora_rank": stage.lora_r,
            "lora_alpha": stage.lora_alpha,
            "lora_dropout": stage.lora_dropout,
            "lora_target": "all" if target == "all-linear" else ",".join(target),
        }
    if stage.deepspeed:
        settings["deepspeed"] = stage.deepspeed
    if kind == "dpo" and isinstance(stage, WKDConfig):
        settings |= {
            "pref_beta": stage.dpo_beta,
            "pref_loss": "sigmoid",
            "learning_rate": stage.dpo_learning_rate,
            "num_train_epochs": stage.dpo_num_train_epochs,
        }
    return yaml.safe_dump(settings, sort_keys=False)
