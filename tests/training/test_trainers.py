"""trl on a tiny random Llama: the loss falls on a set it can overfit; LoRA merges; DPO learns the preference."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from train_helpers import train_problems
from transformers import AutoModelForCausalLM

from toolwise.training.config import SFTStageConfig, WKDConfig
from toolwise.training.conversations import no_tool_example, preference_pair
from toolwise.training.trainers import ModelSource, run_dpo, run_sft

FAST = {
    "per_device_train_batch_size": 4,
    "gradient_accumulation_steps": 1,
    "gradient_checkpointing": False,
    "warmup_ratio": 0.0,
    "logging_steps": 1,
    "max_length": 512,
}


def test_sft_loss_falls_on_a_set_it_can_overfit(tiny_llama_dir: Path, tmp_path: Path) -> None:
    problems = train_problems(4)
    examples = [no_tool_example(p, f"the answer is {p.answer}") for p in problems]
    config = SFTStageConfig(learning_rate=3e-2, num_train_epochs=15, lr_scheduler_type="constant", **FAST)
    result = run_sft(ModelSource(str(tiny_llama_dir)), examples, config, tmp_path / "ckpt")
    assert result.steps == 15 and result.n_examples == 4 and result.masking == "generation-markers"
    assert result.losses[-1] < 0.3 * result.losses[0], result.losses
    # Only the answer and the end-of-turn token are trained: 4 examples x (tokens of "the answer is X" + 1).
    assert 0 < result.n_assistant_tokens < result.n_tokens / 5
    saved = AutoModelForCausalLM.from_pretrained(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "tokenizer_config.json").exists()
    assert (
        "chat_template" in (tmp_path / "ckpt" / "tokenizer_config.json").read_text()
        or (tmp_path / "ckpt" / "chat_template.jinja").exists()
    )
    assert saved.config.vocab_size > 0


def test_lora_is_merged_into_a_plain_checkpoint(tiny_llama_dir: Path, tmp_path: Path) -> None:
    examples = [no_tool_example(p, p.solution) for p in train_problems(4)]
    config = SFTStageConfig(learning_rate=1e-2, num_train_epochs=3, use_lora=True, lora_r=4, **FAST)
    run_sft(ModelSource(str(tiny_llama_dir)), examples, config, tmp_path / "lora")
    assert not (tmp_path / "lora" / "adapter_config.json").exists()
    base = AutoModelForCausalLM.from_pretrained(tiny_llama_dir).state_dict()
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "lora").state_dict()
    assert set(base) == set(merged)
    changed = [k for k in base if not torch.equal(base[k], merged[k])]
    assert changed and all("proj" in k for k in changed)


def test_dpo_prefers_the_chosen_answer(tiny_llama_dir: Path, tmp_path: Path) -> None:
    problems = train_problems(4)
    pairs = [preference_pair(p, f"the answer is {p.answer}", "I do not know.", 1.0, 0.0) for p in problems]
    config = WKDConfig(dpo_learning_rate=1e-2, dpo_num_train_epochs=10, **FAST)
    result = run_dpo(ModelSource(str(tiny_llama_dir)), pairs, config, tmp_path / "dpo")
    assert result.steps == 10
    assert result.losses[-1] < result.losses[0] and result.losses[0] == pytest.approx(0.693, abs=0.01)
    assert result.metrics["reward_accuracy_last"] == 1.0
    assert (tmp_path / "dpo" / "config.json").exists()


def test_every_step_moves_the_weights_even_during_warm_up(tiny_llama_dir: Path, tmp_path: Path) -> None:
    examples = [no_tool_example(p, p.solution) for p in train_problems(4)]
    one_step = {**FAST, "warmup_ratio": 0.1}  # ceil(0.1 x 1) = 1 warm-up step: plain s/w would give lr 0
    config = SFTStageConfig(learning_rate=1e-2, num_train_epochs=1, lr_scheduler_type="cosine", **one_step)
    result = run_sft(ModelSource(str(tiny_llama_dir)), examples, config, tmp_path / "one")
    assert result.steps == 1
    base = AutoModelForCausalLM.from_pretrained(tiny_llama_dir).state_dict()
    trained = AutoModelForCausalLM.from_pretrained(tmp_path / "one").state_dict()
    assert any(not torch.equal(base[k], trained[k]) for k in base)


def test_warm_up_starts_above_zero_and_keeps_the_schedule_after_it() -> None:
    from transformers import get_cosine_schedule_with_warmup

    from toolwise.training.trainers import _shifted_warmup

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    plain = get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=4, num_training_steps=20).lr_lambdas[0]
    shifted = _shifted_warmup(plain, 4)
    assert [shifted(s) for s in range(4)] == [0.2, 0.4, 0.6, 0.8] and plain(0) == 0.0
    assert all(shifted(s) == plain(s) for s in range(4, 20))


def test_full_fine_tuning_under_bf16_keeps_float32_master_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    from toolwise.training import trainers

    monkeypatch.setattr(trainers, "cuda_available", lambda: True)
    source = ModelSource("some/model")
    assert trainers.training_dtype(source, SFTStageConfig(bf16=True)) == "float32"
    assert trainers.training_dtype(source, SFTStageConfig(bf16=True, use_lora=True)) == "auto"
    assert trainers.training_dtype(source, SFTStageConfig(bf16=False)) == "auto"
    assert trainers.training_dtype(ModelSource("m", dtype="bfloat16"), SFTStageConfig(bf16=True)) == "bfloat16"


def test_first_and_last_loss_are_epoch_means() -> None:
    from toolwise.training.trainers import TrainResult

    result = TrainResult(losses=[4.0, 2.0, 1.0, 0.5, 0.3, 0.1], loss_epochs=[0.33, 0.67, 1.0, 1.33, 1.67, 2.0])
    first, last = result.epoch_mean_losses()
    assert first == pytest.approx(7 / 3) and last == pytest.approx(0.3)
    assert result.as_dict()["loss_first"] == first
    assert TrainResult().epoch_mean_losses() == (None, None)
