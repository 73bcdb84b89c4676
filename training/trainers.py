"""Thin wrappers around trl's SFTTrainer and DPOTrainer: load, train, save a checkpoint lm-eval can load.

The SFT examples are tokenised here (:mod:`rendering`) into ``input_ids`` and
``assistant_masks``; ``SFTTrainer`` turns the masks into labels, so the loss
falls on assistant tokens only, with tool results masked. Saved checkpoints
carry the tokenizer with its inference chat template and the generation
config, and (LoRA) the adapter merged into the weights, so they load with
``lm_eval --model toolwise --model_args backend=hf,pretrained=<dir>``.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from toolwise.training.config import SFTStageConfig, WKDConfig
from toolwise.training.conversations import Example
from toolwise.training.rendering import MaskingError, Renderer, make_renderer, renders_like

log = logging.getLogger(__name__)


@dataclass
class ModelSource:
    """Where a model is loaded from (a hub id or folder, optionally a GGUF file in it)."""

    path: str
    gguf_file: str | None = None
    dtype: str = "auto"
    chat_template: str | None = None


@dataclass
class TrainResult:
    """What one trainer run did, for the stage summary."""

    n_examples: int = 0
    n_dropped_too_long: int = 0
    n_tokens: int = 0
    n_assistant_tokens: int = 0
    masking: str = ""
    losses: list[float] = field(default_factory=list)
    loss_epochs: list[float] = field(default_factory=list)  # the epoch each logged loss belongs to
    steps: int = 0
    metrics: dict[str, float] = field(default_factory=dict)

    def epoch_mean_losses(self) -> tuple[float | None, float | None]:
        """Mean logged loss of the first and of the last epoch (one mini-batch is too noisy to compare)."""
        if not self.losses:
            return None, None
        epochs = self.loss_epochs if len(self.loss_epochs) == len(self.losses) else [0.0] * len(self.losses)
        index = [max(math.ceil(e) - 1, 0) for e in epochs]  # logged at epoch 0.5 -> first epoch, 1.0 -> first
        first = [loss for loss, i in zip(self.losses, index, strict=True) if i == index[0]]
        last = [loss for loss, i in zip(self.losses, index, strict=True) if i == index[-1]]
        return sum(first) / len(first), sum(last) / len(last)

    def as_dict(self) -> dict[str, Any]:
        first, last = self.epoch_mean_losses()
        return {
            "examples": self.n_examples,
            "dropped_too_long": self.n_dropped_too_long,
            "tokens": self.n_tokens,
            "assistant_tokens": self.n_assistant_tokens,
            "masking": self.masking,
            "steps": self.steps,
            "loss_first": first,  # mean over the first epoch
            "loss_last": last,  # mean over the last epoch
            "losses": self.losses,  # every logged loss (each logging_steps), the curve runs are compared by
            **self.metrics,
        }


def cuda_available() -> bool:
    return torch.cuda.is_available()


def load_tokenizer(source: ModelSource) -> PreTrainedTokenizerBase:
    kwargs = {"gguf_file": source.gguf_file} if source.gguf_file else {}
    tokenizer = AutoTokenizer.from_pretrained(source.path, **kwargs)
    if source.chat_template:
        tokenizer.chat_template = Path(source.chat_template).read_text(encoding="utf-8")
    if tokenizer.chat_template is None:
        raise ValueError(f"{source.path} has no chat template; pass chat_template=<file.jinja>")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _dtype_name(name: str) -> str:
    """``auto`` keeps the checkpoint's dtype on a GPU (bf16 for Llama-3.1) and trains in float32 on a CPU."""
    if name == "auto":
        return "auto" if cuda_available() else "float32"
    return name


def _torch_dtype(name: str) -> Any:
    resolved = _dtype_name(name)
    return resolved if resolved == "auto" else getattr(torch, resolved)


def load_model(source: ModelSource) -> PreTrainedModel:
    """A causal LM ready to train; a GGUF checkpoint is dequantised into a plain, saveable model."""
    dtype = _torch_dtype(source.dtype)
    if not source.gguf_file:
        return AutoModelForCausalLM.from_pretrained(source.path, dtype=dtype)
    loaded = AutoModelForCausalLM.from_pretrained(source.path, gguf_file=source.gguf_file, dtype=dtype)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # GGUF weights are dequantised on load; what is left saves as a plain model
    model = AutoModelForCausalLM.from_config(config, dtype=loaded.dtype)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    return model


def training_dtype(source: ModelSource, config: SFTStageConfig) -> str:
    """The dtype the weights are loaded in for training.

    Full fine-tuning under bf16 mixed precision keeps float32 master weights (autocast runs the maths in
    bf16): in bf16 weights an update of lr 1e-5 times a gradient rounds away (bf16 has 8 bits of mantissa).
    LoRA's frozen base may stay in the checkpoint's dtype (peft keeps the adapter in float32).
    """
    if not config.use_lora and source.dtype == "auto" and _bf16(config):
        return "float32"
    return _dtype_name(source.dtype)


def _trainable(source: ModelSource, config: SFTStageConfig) -> tuple[Any, dict[str, Any] | None]:
    """What a trl trainer gets, with its ``model_init_kwargs``: the path, so that DeepSpeed ZeRO-3 can partition
    the weights while loading them, or (GGUF, replaced template) the model already loaded."""
    dtype = training_dtype(source, config)
    if source.gguf_file or source.chat_template:
        return load_model(ModelSource(source.path, source.gguf_file, dtype, source.chat_template)), None
    return source.path, {"dtype": dtype}


def save_checkpoint(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, folder: str | Path) -> Path:
    """Write model, tokenizer (with chat template) and generation config, atomically (tmp folder, then rename)."""
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return folder


def prepare_base(source: ModelSource, folder: str | Path) -> Path:
    """A plain, saveable copy of the base model (needed when it is a GGUF file or has a replaced template)."""
    return save_checkpoint(load_model(source), load_tokenizer(source), folder)


def _bf16(config: SFTStageConfig) -> bool:
    if config.bf16 is not None:
        return config.bf16
    return cuda_available() and torch.cuda.is_bf16_supported()


def _peft_config(config: SFTStageConfig) -> Any:
    if not config.use_lora:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.lora_target_modules,
        task_type="CAUSAL_LM",
    )


def _common_args(config: SFTStageConfig, output_dir: str, checkpoints: bool = False) -> dict[str, Any]:
    saving: dict[str, Any] = {"save_strategy": "no"}
    if checkpoints and config.save_steps:
        # A float below 1 is a share of the stage's steps (transformers); keep the last two, the newest resumes.
        saving = {"save_strategy": "steps", "save_steps": config.save_steps, "save_total_limit": 2}
    return {
        **saving,
        "output_dir": output_dir,
        "learning_rate": config.learning_rate,
        "num_train_epochs": config.num_train_epochs,
        "per_device_train_batch_size": config.per_device_train_batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation_steps,
        "lr_scheduler_type": config.lr_scheduler_type,
        "warmup_steps": config.warmup_ratio,  # transformers 5: a float in [0, 1) is a ratio
        "weight_decay": config.weight_decay,
        "bf16": _bf16(config),
        "gradient_checkpointing": config.gradient_checkpointing,
        "logging_steps": config.logging_steps,
        "seed": config.seed,
        "deepspeed": config.deepspeed,
        "use_cpu": not cuda_available(),
        "report_to": [],
        "disable_tqdm": False,
        "max_length": config.max_length,
    }


def tokenize_examples(
    renderer: Renderer, examples: list[Example], max_length: int
) -> tuple[datasets.Dataset, TrainResult]:
    """The SFT dataset (``input_ids``, ``assistant_masks``); examples longer than ``max_length`` are dropped."""
    rows, result = [], TrainResult(masking=renderer.masking)
    for example in examples:
        row = renderer.tokenize(example["messages"], example["tools"])
        if len(row["input_ids"]) > max_length:
            result.n_dropped_too_long += 1
            continue
        rows.append(row)
        result.n_tokens += len(row["input_ids"])
        result.n_assistant_tokens += sum(row["assistant_masks"])
    if result.n_dropped_too_long:
        log.warning("%d examples are longer than max_length=%d and were dropped", result.n_dropped_too_long, max_length)
    if not rows:
        raise ValueError("no SFT example fits in max_length; raise max_length")
    result.n_examples = len(rows)
    return datasets.Dataset.from_list(rows), result


def renderer_for(tokenizer: PreTrainedTokenizerBase, examples: list[Example], masking: str = "auto") -> Renderer:
    """The renderer, with its training template checked against the model's template on the real examples."""
    renderer, source = make_renderer(tokenizer, masking)
    sample = [(e["messages"], e["tools"]) for e in examples[:32]]
    if renderer.training_template and not renders_like(
        tokenizer, renderer.training_template, sample, renderer.native_tools
    ):
        if masking == "generation-markers":
            raise MaskingError(f"{source} renders these examples differently from the model's template")
        log.warning("%s renders these examples differently from the model's template; using prefix-render", source)
        renderer = Renderer(tokenizer, renderer.native_tools, None)
    log.info("assistant-only loss via %s (%s); native tools: %s", renderer.masking, source, renderer.native_tools)
    return renderer


def _losses(log_history: list[dict[str, Any]]) -> list[float]:
    return [float(entry["loss"]) for entry in log_history if "loss" in entry]


def _loss_epochs(log_history: list[dict[str, Any]]) -> list[float]:
    return [float(entry.get("epoch", 0.0)) for entry in log_history if "loss" in entry]


def warmup_from_first_step(trainer_cls: type) -> type:
    """``trainer_cls`` whose linear warm-up starts above zero: step s of w warm-up steps gets (s+1)/(w+1) of the
    peak rate instead of s/w, so the first optimiser step moves the weights (a one-step stage or a small DPO
    set trains) while the schedule after warm-up is unchanged."""

    class WarmupFromFirstStep(trainer_cls):  # type: ignore[misc, valid-type]
        def create_scheduler(self, num_training_steps: int, optimizer: Any = None) -> Any:
            scheduler = super().create_scheduler(num_training_steps, optimizer)
            warmup = self.args.get_warmup_steps(num_training_steps)
            lambdas = getattr(scheduler, "lr_lambdas", None)
            if warmup > 0 and lambdas and scheduler.last_epoch == 0:
                scheduler.lr_lambdas = [_shifted_warmup(f, warmup) for f in lambdas]
                groups = scheduler.optimizer.param_groups
                for group, base_lr, f in zip(groups, scheduler.base_lrs, scheduler.lr_lambdas, strict=True):
                    group["lr"] = base_lr * f(0)
                scheduler._last_lr = [group["lr"] for group in groups]
            return scheduler

    WarmupFromFirstStep.__name__ = trainer_cls.__name__
    return WarmupFromFirstStep


def _shifted_warmup(schedule: Any, warmup: int) -> Any:
    return lambda step: (step + 1) / (warmup + 1) if step < warmup else schedule(step)


@contextmanager
def _work_dir(checkpoint_dir: str | Path | None, prefix: str) -> Iterator[tuple[str, str | None]]:
    """Where the trainer writes, and the checkpoint to resume from.

    Without ``checkpoint_dir`` a temporary folder. With it, that folder: a rerun of a stage killed mid-way
    resumes from its newest checkpoint (weights, optimiser, scheduler, RNG and data position), and the
    checkpoints are removed once the stage has finished and saved its model.
    """
    if checkpoint_dir is None:
        with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
            yield scratch, None
        return
    from transformers.trainer_utils import get_last_checkpoint

    folder = Path(checkpoint_dir)
    folder.mkdir(parents=True, exist_ok=True)
    last = get_last_checkpoint(str(folder))
    if last:
        log.info("resuming from %s", last)
    yield str(folder), last
    shutil.rmtree(folder, ignore_errors=True)


def run_sft(
    source: ModelSource,
    examples: list[Example],
    config: SFTStageConfig,
    out_dir: str | Path,
    masking: str = "auto",
    checkpoint_dir: str | Path | None = None,
    callbacks: list[Any] | None = None,
) -> TrainResult:
    """SFT ``source`` on ``examples`` (assistant-only loss) and save the checkpoint to ``out_dir``.

    With ``checkpoint_dir``, periodic checkpoints (``config.save_steps``) are written there and a rerun
    after a crash resumes from the newest one.
    """
    from trl import SFTConfig, SFTTrainer

    tokenizer = load_tokenizer(source)
    renderer = renderer_for(tokenizer, examples, masking)
    dataset, result = tokenize_examples(renderer, examples, config.max_length)
    model, init_kwargs = _trainable(source, config)
    with _work_dir(checkpoint_dir, "toolwise-sft-") as (scratch, resume):
        args = SFTConfig(
            **_common_args(config, scratch, checkpoints=checkpoint_dir is not None),
            assistant_only_loss=False,  # the dataset carries the masks (see tokenize_examples)
            model_init_kwargs=init_kwargs,
            **config.trainer_overrides,
        )
        trainer = warmup_from_first_step(SFTTrainer)(
            model=model,
            args=args,
            train_dataset=dataset,
            processing_class=tokenizer,
            peft_config=_peft_config(config),
            callbacks=callbacks,
        )
        output = trainer.train(resume_from_checkpoint=resume)
        result.losses = _losses(trainer.state.log_history)
        result.loss_epochs = _loss_epochs(trainer.state.log_history)
        result.steps = int(trainer.state.global_step)
        result.metrics = {"train_loss": float(output.training_loss)}
        _save_trained(trainer, tokenizer, config, out_dir)
    return result


def run_dpo(
    source: ModelSource,
    pairs: list[dict[str, Any]],
    config: WKDConfig,
    out_dir: str | Path,
    checkpoint_dir: str | Path | None = None,
) -> TrainResult:
    """DPO on conversational prompt/chosen/rejected pairs (implicit reference: the starting model)."""
    from trl import DPOConfig, DPOTrainer

    tokenizer = load_tokenizer(source)
    rows = [{"prompt": p["prompt"], "chosen": p["chosen"], "rejected": p["rejected"]} for p in pairs]
    dataset = datasets.Dataset.from_list(rows)
    model, init_kwargs = _trainable(source, config)
    with _work_dir(checkpoint_dir, "toolwise-dpo-") as (scratch, resume):
        common = _common_args(config, scratch, checkpoints=checkpoint_dir is not None)
        common.update(learning_rate=config.dpo_learning_rate, num_train_epochs=config.dpo_num_train_epochs)
        args = DPOConfig(
            **common,
            beta=config.dpo_beta,
            model_init_kwargs=init_kwargs,
            **config.trainer_overrides,
        )
        trainer = warmup_from_first_step(DPOTrainer)(
            model=model,
            args=args,
            train_dataset=dataset,
            processing_class=tokenizer,
            peft_config=_peft_config(config),
        )
        output = trainer.train(resume_from_checkpoint=resume)
        result = TrainResult(n_examples=len(rows), masking="dpo")
        result.losses = _losses(trainer.state.log_history)
        result.loss_epochs = _loss_epochs(trainer.state.log_history)
        result.steps = int(trainer.state.global_step)
        rewards = [e["rewards/accuracies"] for e in trainer.state.log_history if "rewards/accuracies" in e]
        result.metrics = {"train_loss": float(output.training_loss)}
        if rewards:
            result.metrics["reward_accuracy_last"] = float(rewards[-1])
        _save_trained(trainer, tokenizer, config, out_dir)
    return result


def _save_trained(
    trainer: Any, tokenizer: PreTrainedTokenizerBase, config: SFTStageConfig, out_dir: str | Path
) -> None:
    """Merge a LoRA adapter (unless asked not to) and write the checkpoint on the main process."""
    if config.use_lora and config.merge_lora:
        merged = trainer.model.merge_and_unload()
        if trainer.accelerator.is_main_process:
            save_checkpoint(merged, tokenizer, out_dir)
    elif config.use_lora:
        if trainer.accelerator.is_main_process:
            # Adapter alone: evaluate with backend=hf,pretrained=<the model it was trained on>,peft=<out_dir>.
            save_checkpoint(trainer.model, tokenizer, out_dir)
    else:
        out = Path(out_dir)
        tmp = out.with_name(out.name + ".tmp")
        trainer.save_model(str(tmp))  # gathers ZeRO-3 / FSDP shards
        if trainer.accelerator.is_main_process:
            tokenizer.save_pretrained(tmp)
            if out.exists():
                shutil.rmtree(out)
            tmp.rename(out)
    trainer.accelerator.wait_for_everyone()
