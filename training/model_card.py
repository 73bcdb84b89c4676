"""The final checkpoint's model card (``README.md``) and its upload to the Hugging Face Hub.

The card says what a reader of a checkpoint needs to trust it: the base model, the
tasks and data sizes, what each stage did (from ``state.json``), how to evaluate it
(the exact ``lm_eval`` command, with the answer tool where TUA trained answer calls)
and, when ``<out>/eval/`` holds an evaluation, its table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolwise.training.config import TrainConfig


def _stage_line(stage: str, summary: dict[str, Any]) -> str:
    if stage == "collect":
        return f"- **collect**: {summary.get('kept')} trajectories kept, {summary.get('dropped')} dropped " + (
            f"({summary.get('dropped_by_reason')})" if summary.get("dropped") else ""
        )
    sft = summary.get("sft", {})
    loss = f"loss {sft.get('loss_first'):.3f} → {sft.get('loss_last'):.3f}" if sft.get("loss_first") else ""
    if stage == "wkd":
        return f"- **WKD**: SFT on {sft.get('examples')} tool-free solutions, {sft.get('steps')} steps, {loss}"
    return (
        f"- **TUA**: {summary.get('easy')} easy / {summary.get('hard')} hard training questions → "
        f"{sft.get('examples')} examples (direct answers as '{summary.get('direct_form')}'), {sft.get('steps')} "
        f"steps, {loss}"
    )


def model_card(config: TrainConfig, state: dict[str, Any], evaluation: str | None = None) -> str:
    """The card's Markdown, with YAML front matter the Hub reads."""
    marker = Path(config.out) / "final" / "toolwise.json"
    answer_tool = marker.exists() and json.loads(marker.read_text()).get("answer_tool", False)
    tasks = config.task or "(a problems file)"
    model_args = "backend=hf,pretrained=<this folder or repo>" + (",answer_tool=true" if answer_tool else "")
    lines = [
        "---",
        f"base_model: {config.base}",
        "library_name: transformers",
        "tags: [toolwise, tool-use, wkd, tua]",
        "---",
        "",
        f"# {Path(config.out).name or 'toolwise checkpoint'}: {config.base} adapted to use tools when it needs them",
        "",
        "Trained with toolwise (World Knowledge Distillation + Tool Usage Adaptation, arXiv 2411.00412):",
        "it answers directly what it has learned and calls the simulator for the rest.",
        "",
        f"- base model: `{config.base}`" + (f" (GGUF `{config.gguf_file}`)" if config.gguf_file else ""),
        f"- tasks: `{tasks}`, {config.collect.n_train} training questions per task, teacher `{config.collect.teacher}`",
        f"- fine-tuning: {'LoRA (merged)' if config.tua.use_lora else 'full'}, learning rate {config.tua.learning_rate}",
        "",
        "## Stages",
        "",
        *(_stage_line(stage, record.get("summary", {})) for stage, record in state.get("stages", {}).items()),
        "",
        "## Evaluate",
        "",
        "```bash",
        f"lm_eval --model toolwise --model_args {model_args} --tasks {tasks.split(',')[0]}",
        "```",
        "",
        "`toolwise.json` in this folder tells the harness which tools the model was trained with "
        "(`answer_tool=auto`, the default, reads it).",
    ]
    if evaluation:
        lines += ["", "## Evaluation", "", evaluation.strip()]
    return "\n".join(lines) + "\n"


def write_model_card(folder: str | Path, config: TrainConfig, state: dict[str, Any]) -> Path:
    """``<folder>/README.md``; includes ``<out>/eval/report.md`` when an evaluation was run."""
    report = Path(config.out) / "eval" / "report.md"
    path = Path(folder) / "README.md"
    path.write_text(model_card(config, state, report.read_text() if report.exists() else None), encoding="utf-8")
    return path


def push_to_hub(folder: str | Path, repo_id: str, private: bool = True, api: Any = None) -> str:
    """Upload the checkpoint folder to ``repo_id`` with the ordinary hub API; returns the repo URL."""
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    url = api.create_repo(repo_id=repo_id, private=private, exist_ok=True)
    api.upload_folder(folder_path=str(folder), repo_id=repo_id, commit_message="toolwise: WKD + TUA checkpoint")
    return str(url)
