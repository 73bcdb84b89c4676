"""Resume inside a stage: a run killed mid-way restarts from its newest checkpoint and ends where an uninterrupted
run ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from train_helpers import train_problems
from transformers import AutoModelForCausalLM, TrainerCallback

from toolwise.training.config import SFTStageConfig
from toolwise.training.conversations import no_tool_example
from toolwise.training.trainers import ModelSource, run_sft

CONFIG = SFTStageConfig(
    learning_rate=1e-2, num_train_epochs=3, per_device_train_batch_size=2, gradient_accumulation_steps=1,
    gradient_checkpointing=False, warmup_ratio=0.1, logging_steps=1, max_length=512, save_steps=2, seed=7,
)  # fmt: skip


class Killed(RuntimeError):
    pass


class KillAtStep(TrainerCallback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == self.step:
            raise Killed(f"killed at step {self.step}")


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    return AutoModelForCausalLM.from_pretrained(folder).state_dict()


def test_a_killed_stage_resumes_and_ends_with_the_weights_of_an_uninterrupted_run(
    tiny_llama_dir: Path, tmp_path: Path
) -> None:
    examples = [no_tool_example(p, p.solution) for p in train_problems(4)]
    source = ModelSource(str(tiny_llama_dir))
    straight = run_sft(source, examples, CONFIG, tmp_path / "straight")
    assert straight.steps == 6

    checkpoints = tmp_path / "checkpoints"
    with pytest.raises(Killed):
        run_sft(source, examples, CONFIG, tmp_path / "resumed", checkpoint_dir=checkpoints, callbacks=[KillAtStep(5)])
    assert sorted(p.name for p in checkpoints.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    assert not (tmp_path / "resumed").exists()

    resumed = run_sft(source, examples, CONFIG, tmp_path / "resumed", checkpoint_dir=checkpoints)
    assert resumed.steps == 6 and not checkpoints.exists()  # checkpoints go once the model is saved
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "resumed")
    assert set(a) == set(b)
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-5, atol=1e-6, msg=name)
