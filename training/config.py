"""Configuration of the training pipeline: one dataclass per stage, every field with a default and help text.

In the style of trl's ``SFTConfig``: each knob is a dataclass field whose
``metadata["help"]`` says what it does; the CLI maps flags and a YAML file
onto these fields and nothing more. Defaults follow the paper's recipe
(research/paper.md §5.2: lr 1e-5, 2 epochs, cosine, warm-up 0.1, batch 1 x 16
accumulation, cut-off 5000 tokens, full fine-tuning, bf16 on GPU).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

STAGES = ("collect", "wkd", "tua")
Stage = Literal["collect", "wkd", "tua"]


# Settings that change how, not what, a stage computes (the engine, the device, the batch) or that no stage reads.
NOT_FINGERPRINTED = ("out", "device", "sample_batch_size", "sampler", "eval")


def _help(text: str, default: Any) -> Any:
    """A field with an immutable default and its help text (trl's ``field(metadata={"help": ...})``)."""
    return field(default=default, metadata={"help": text})


@dataclass
class CollectConfig:
    """Stage 1: tool-grounded solutions of the training split from a teacher in ``forced`` mode."""

    teacher: str = _help(
        "Backend that solves the training questions with tools: oracle (replays each problem's reference calls), "
        "hf, vllm, openai or anthropic.",
        "oracle",
    )
    teacher_args: dict[str, Any] = field(
        default_factory=dict,
        metadata={
            "help": "Keyword arguments of the teacher backend, e.g. {pretrained: meta-llama/Llama-3.1-70B-Instruct} "
            "for hf or {model: gpt-4o} for openai."
        },
    )
    n_train: int = _help("Number of training questions to generate from the task's training split.", 200)
    seed: int = _help("Seed of the training split (the domain keeps it disjoint from its test seeds).", 1)
    solution_source: Literal["dataset", "teacher"] = _help(
        "Where the tool-free worked solution comes from: the dataset's own `solution` (knowledge, never a tool run), or the "
        "teacher rewriting its trajectory into a solution that never mentions tools.",
        "dataset",
    )
    min_score: float = _help(
        "A trajectory is kept when its answer scores at least this (1.0 = exactly right; open answers are graded in "
        "[0, 1] by the domain's scorer).",
        1.0,
    )
    max_turns: int = _help("Turn cap of one forced-mode conversation.", 8)
    max_gen_toks: int = _help("Token cap of one teacher reply.", 1024)
    temperature: float = _help("Teacher sampling temperature (0 = greedy).", 0.0)


@dataclass
class SFTStageConfig:
    """Optimiser, precision and adapter settings shared by the two SFT stages."""

    learning_rate: float = _help("Peak learning rate (paper: 1e-5 for full fine-tuning; use ~2e-4 with LoRA).", 1e-5)
    num_train_epochs: float = _help("Epochs over the stage's dataset.", 2.0)
    per_device_train_batch_size: int = _help("Examples per device per step.", 1)
    gradient_accumulation_steps: int = _help("Steps accumulated per optimiser update (paper: 16).", 16)
    lr_scheduler_type: str = _help("Learning-rate schedule (transformers name).", "cosine")
    warmup_ratio: float = _help("Fraction of steps spent warming up.", 0.1)
    weight_decay: float = _help("AdamW weight decay.", 0.0)
    max_length: int = _help(
        "Longest tokenised conversation; longer examples are dropped and counted (paper cut-off: 5000).", 5000
    )
    bf16: bool | None = _help("bf16 mixed precision; None = on when a bf16-capable GPU is present.", None)
    gradient_checkpointing: bool = _help("Recompute activations to save memory (needed for 8B full fine-tuning).", True)
    use_lora: bool = _help(
        "Train a LoRA adapter instead of all weights (merged into the checkpoint at the end).", False
    )
    lora_r: int = _help("LoRA rank.", 16)
    lora_alpha: int = _help("LoRA scaling alpha.", 32)
    lora_dropout: float = _help("LoRA dropout.", 0.05)
    lora_target_modules: list[str] | str = field(
        default="all-linear", metadata={"help": "Modules that get LoRA adapters ('all-linear' or a list of names)."}
    )
    merge_lora: bool = _help(
        "Merge the adapter into the weights when saving, so the checkpoint loads with a plain `pretrained=`; if "
        "false, the final adapter is saved alone (evaluate with `pretrained=<out>/wkd,peft=<out>/final`: it was trained "
        "on the merged WKD model, so `pretrained=<base>` would silently drop WKD). WKD's adapter is always merged: TUA "
        "trains on top of it.",
        True,
    )
    logging_steps: int = _help("Log the loss every this many optimiser steps.", 10)
    save_steps: float = _help(
        "Write a resumable checkpoint every this many optimiser steps (a value below 1 is a share of the stage's "
        "steps: 0.1 = every tenth); a stage killed mid-way resumes from the newest one. 0 = never.",
        0.1,
    )
    seed: int = _help("Seed of weight init (LoRA), data order and sampling.", 42)
    deepspeed: str | None = _help(
        "DeepSpeed config file (e.g. training/configs/ds_zero3.json) for multi-GPU runs.",
        None,
    )
    trainer_overrides: dict[str, Any] = field(
        default_factory=dict,
        metadata={
            "help": "Any other trl SFTConfig/DPOConfig field, passed verbatim (e.g. {optim: adamw_torch_fused})."
        },
    )


@dataclass
class WKDConfig(SFTStageConfig):
    """Stage 2, World Knowledge Distillation: SFT on (no-tool prompt, question) -> tool-free solution.

    Open-ended questions add preference optimisation: proposals sampled from
    the SFT model are scored by the domain's scorer and ranked pairs train DPO
    on that model.
    """

    n_proposals: int = _help("Proposals sampled per open-ended question (paper: 5).", 5)
    proposal_temperature: float = _help("Sampling temperature of the proposals.", 0.7)
    proposal_max_gen_toks: int = _help("Token cap of one proposal.", 1024)
    min_score_gap: float = _help(
        "A DPO pair needs the chosen proposal to beat the rejected one by at least this.", 0.05
    )
    dpo_beta: float = _help("DPO beta (the KL strength).", 0.1)
    dpo_learning_rate: float = _help("DPO learning rate.", 5e-7)
    dpo_num_train_epochs: float = _help("DPO epochs.", 1.0)


@dataclass
class TUAConfig(SFTStageConfig):
    """Stage 3, Tool Usage Adaptation: easy questions keep a direct answer, hard ones the tool transcript."""

    k_samples: int = _help("Direct (no_tool) answers sampled from the WKD model per training question.", 4)
    sample_temperature: float = _help("Sampling temperature of those answers (0 = greedy; then use k_samples=1).", 0.7)
    sample_max_gen_toks: int = _help("Token cap of one sampled answer.", 1024)
    easy_threshold: float = _help(
        "A question is easy when the WKD model's accuracy over the k samples is at least this.", 0.5
    )
    easy_hard_ratio: float | None = _help(
        "Target easy:hard example ratio after balancing; the smaller class is replicated (never dropped) to reach "
        "it. 1.0 = balanced (the paper's Eq. 5); None = no balancing.",
        1.0,
    )
    max_replication: float = _help(
        "Cap on how many times the smaller class is replicated by balancing, so that a handful of questions cannot "
        "swamp the mix (a class of 2 is not copied 11 times). Eq. 5 holds while the classes differ by less.",
        4.0,
    )
    min_class_questions: int = _help(
        "The stage summary warns when the easy or the hard class has fewer questions than this.", 10
    )
    direct_form: Literal["lead", "answer_call", "plain"] = _help(
        "How an easy question's direct answer looks in the tool-offering prompt: 'lead' (a fixed sentence, "
        "'I can answer this directly.', before the solution), 'answer_call' (a call of the answer_question "
        "pseudo-tool with the solution; evaluate with answer_tool=true) or 'plain' (the bare solution).",
        "lead",
    )
    hard_final_answer: Literal["solution", "teacher"] = _help(
        "The last message of a hard question's tool transcript: the worked solution (restates the tool's numbers "
        "and reasons to the answer) or the teacher's own final message (as recorded; the oracle's is a bare "
        "'the answer is X').",
        "solution",
    )
    mix_no_tool: bool = _help(
        "Also train on the WKD no-tool examples, so the direct-answer skill is kept (the paper's Eq. 6).", True
    )
    questions: Literal["wkd", "fresh"] = _help(
        "The training questions TUA labels easy/hard and trains on: 'wkd', the ones WKD trained on (the paper), or "
        "'fresh', as many new ones from the same training split (another seed, none of WKD's). A model that "
        "memorises its WKD answers calls its own questions easy; on fresh ones easy means knowledge that carries "
        "over to the test questions.",
        "wkd",
    )


@dataclass
class EvalConfig:
    """``--eval`` / ``--stage eval``: base, WKD and the final model on the task's test split (lm_eval)."""

    limit: int | None = _help("Test problems evaluated per task (the first N); None = all.", None)
    max_turns: int = _help("Turn cap of each test conversation (a call, its result, an answer).", 3)
    max_gen_toks: int = _help("Tokens generated per turn at evaluation.", 160)


@dataclass
class TrainConfig:
    """The whole pipeline: which model, which task, where to write, and the three stages."""

    base: str = _help("Hub id or local path of the model to fine-tune.", "")
    task: str = _help(
        "toolwise task(s) whose training split is used: pde_tool, several (climate_tool,pde_tool: each gives n_train "
        "questions in its own prompts and tools) or a group (scitool); each domain's generate_problems makes them.",
        "",
    )
    out: str = _help("Output folder: datasets, stage state and checkpoints (final model in <out>/final).", "")
    train_file: str | None = _help(
        "A JSONL of problems to train on instead of generating the task's training split.", None
    )
    gguf_file: str | None = _help("GGUF file inside `base` to load (dequantised to a regular checkpoint).", None)
    dtype: str = _help(
        "Weights dtype when loading: auto (the checkpoint's on a GPU, float32 on a CPU), float32, bfloat16, float16.",
        "auto",
    )
    device: str | None = _help("Device for sampling (cuda, cpu); None = cuda when available.", None)
    sample_batch_size: int = _help("Batch size of the hf backend when the pipeline samples from a model.", 8)
    chat_template: str | None = _help("A .jinja file to use as the model's chat template (saved with it).", None)
    sampler: Literal["auto", "hf", "vllm"] = _help(
        "Engine for the TUA difficulty samples, the DPO proposals and an hf/vllm collect teacher: hf, vllm, or "
        "auto (vllm when importable, hf otherwise). Same prompts and sampling options on both.",
        "auto",
    )
    collect: CollectConfig = field(default_factory=CollectConfig)
    wkd: WKDConfig = field(default_factory=WKDConfig)
    tua: TUAConfig = field(default_factory=TUAConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def stage_config(self, stage: Stage) -> Any:
        return {"collect": self.collect, "wkd": self.wkd, "tua": self.tua}[stage]

    def fingerprint(self, stage: Stage) -> str:
        """A hash of what a stage's result depends on: the shared settings and the stage's own section."""
        shared = {k: v for k, v in to_dict(self).items() if k not in (*STAGES, *NOT_FINGERPRINTED)}
        own = to_dict(self.stage_config(stage))
        text = json.dumps({"shared": shared, stage: own}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def field_help(cls: type) -> dict[str, str]:
    """Field name -> help text of a config dataclass (for the CLI and the docs)."""
    return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(cls)}


def config_field(dotted: str) -> tuple[dataclasses.Field[Any], Any]:
    """The field a dotted key names (``wkd.lora_r``) and its type; ``KeyError`` when there is no such setting."""
    cls: type = TrainConfig
    *sections, name = dotted.split(".")
    for section in sections:
        cls = typing.get_type_hints(cls).get(section)  # type: ignore[assignment]
        if not dataclasses.is_dataclass(cls):
            raise KeyError(dotted)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if name not in fields or dataclasses.is_dataclass(typing.get_type_hints(cls)[name]):
        raise KeyError(dotted)
    return fields[name], typing.get_type_hints(cls)[name]


def setting_help(*dotted: str) -> str:
    """The help text of the settings one flag sets: one text when they share it (``wkd.x`` and ``tua.x``), else each
    named. The CLIs take their flags' help from here, so it is written once, in the fields above."""
    helps = {key: config_field(key)[0].metadata["help"] for key in dotted}
    if len(set(helps.values())) == 1:
        return next(iter(helps.values()))
    return " ".join(f"{key}: {text}" for key, text in helps.items())


def setting_choices(dotted: str) -> tuple[str, ...] | None:
    """The values a ``Literal`` setting allows (``tua.direct_form``), or None for any other type."""
    annotation = config_field(dotted)[1]
    return typing.get_args(annotation) if typing.get_origin(annotation) is Literal else None


def _coerce(value: Any, annotation: Any, name: str) -> Any:
    """Turn a YAML/CLI value into the field's type (``--set wkd.learning_rate=2e-5`` arrives as a string)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if value is None:
        return None
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        if isinstance(value, str) and value.lower() in ("none", "null") and len(non_none) < len(args):
            return None
        plain = [o for o in non_none if typing.get_origin(o) is None and o is not bool]
        if any(isinstance(value, o) for o in plain) and not (isinstance(value, str) and "," in value):
            return value  # already of a member type ("all-linear" stays a string); "a,b" reads as a list
        errors = []
        for option in non_none:
            try:
                return _coerce(value, option, name)
            except (TypeError, ValueError) as exc:
                errors.append(str(exc))
        raise ValueError(f"{name}: {value!r} fits none of {annotation} ({'; '.join(errors)})")
    if origin is Literal:
        if value not in args:
            raise ValueError(f"{name}: {value!r} is not one of {', '.join(map(str, args))}")
        return value
    if annotation is bool:
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"{name}: {value!r} is not a boolean")
    if annotation in (int, float):
        if isinstance(value, bool):
            raise ValueError(f"{name}: expected a number, got {value!r}")
        try:
            number = annotation(float(value)) if annotation is int else float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected a number, got {value!r}") from None
        if annotation is int and float(value) != number:
            raise ValueError(f"{name}: expected an integer, got {value!r}")
        return number
    if annotation is str:
        if isinstance(value, (dict, list)):
            raise ValueError(f"{name}: expected text, got {value!r}")
        return str(value)
    if origin is list:
        if isinstance(value, str):
            value = yaml.safe_load(value) if value.strip().startswith("[") else [v.strip() for v in value.split(",")]
        if not isinstance(value, list):
            raise ValueError(f"{name}: expected a list, got {value!r}")
        return [_coerce(v, args[0], name) for v in value] if args else value
    if origin is dict:
        if isinstance(value, str):
            value = yaml.safe_load(value) or {}
        if not isinstance(value, dict):
            raise ValueError(f"{name}: expected a mapping, got {value!r}")
        return dict(value)
    return value


def _apply(target: Any, values: dict[str, Any], where: str) -> None:
    hints = typing.get_type_hints(type(target))
    names = {f.name for f in dataclasses.fields(target)}
    for key, value in values.items():
        key = key.replace("-", "_")
        if key not in names:
            raise ValueError(f"unknown setting '{where}{key}'; known: {', '.join(sorted(names))}")
        current = getattr(target, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ValueError(f"'{where}{key}' is a section; give it a mapping")
            _apply(current, value, f"{where}{key}.")
        else:
            setattr(target, key, _coerce(value, hints[key], f"{where}{key}"))


def build_config(yaml_file: str | Path | None = None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """A TrainConfig from defaults, then a YAML file, then ``overrides`` (dotted keys such as ``wkd.lora_r``)."""
    config = TrainConfig()
    if yaml_file:
        data = yaml.safe_load(Path(yaml_file).read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{yaml_file}: expected a mapping at the top level")
        _apply(config, data, "")
    for dotted, value in (overrides or {}).items():
        *sections, name = dotted.split(".")
        nested: dict[str, Any] = {name: value}
        for section in reversed(sections):
            nested = {section: nested}
        _apply(config, nested, "")
    return config


def save_config(config: TrainConfig, path: str | Path) -> None:
    Path(path).write_text(yaml.safe_dump(to_dict(config), sort_keys=False), encoding="utf-8")


DOCS = Path(__file__).resolve().parents[1] / "docs" / "training.md"
DOCS_BEGIN = "<!-- settings tables, generated from training/config.py: python -m toolwise.training.config --docs -->"
DOCS_END = "<!-- end of the settings tables -->"
_DOC_SECTIONS = {
    "`TrainConfig` (top level)": TrainConfig,
    "`collect` (`CollectConfig`)": CollectConfig,
    "`wkd` and `tua` share these (`SFTStageConfig`; defaults = the paper's LLaMA-Factory run)": SFTStageConfig,
    "`wkd` only (`WKDConfig`)": WKDConfig,
    "`tua` only (`TUAConfig`)": TUAConfig,
    "`eval` (`EvalConfig`, read by `--eval` and `--stage eval` only; not part of any stage's fingerprint)": EvalConfig,
}


def settings_markdown() -> str:
    """Every setting as docs/training.md shows it: one table (field, default, help) per config dataclass."""
    parts = []
    for caption, cls in _DOC_SECTIONS.items():
        inherited = {
            f.name for base in cls.__mro__[1:] if dataclasses.is_dataclass(base) for f in dataclasses.fields(base)
        }
        rows = []
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            if f.name not in inherited and not dataclasses.is_dataclass(default):  # a section has its own table
                rows.append(f"| `{f.name}` | `{default!r}` | {f.metadata['help']} |")
        parts.append("\n".join([f"{caption}:", "", "| field | default | help |", "|---|---|---|", *rows]))
    return "\n\n".join(parts) + "\n"


def docs_with_settings(text: str) -> str:
    """``text`` (docs/training.md) with the tables between its settings markers regenerated."""
    head, rest = text.split(DOCS_BEGIN)
    return f"{head}{DOCS_BEGIN}\n{settings_markdown()}{DOCS_END}{rest.split(DOCS_END)[1]}"


if __name__ == "__main__":  # python -m toolwise.training.config --docs rewrites the tables; without it, prints them
    import sys

    if "--docs" in sys.argv[1:]:
        DOCS.write_text(docs_with_settings(DOCS.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(settings_markdown(), end="")
