"""Adaptation, the point of TUA: trained on easy and hard questions, SmolLM2 calls the tool on the hard ones only.

A toy domain where difficulty shows in the question: products of two one-digit numbers (easy, answered
directly with the lead sentence) and of two three-digit numbers (hard, the teacher's toy_multiply
transcript). Held-out questions of each kind must get P(opening a tool call) > 0.7 (hard) and < 0.3 (easy),
read with ``training.decision`` on the exact choice-mode prompt of the harness.

The recipe matters more than the data size: 40 examples in 10 optimiser steps (batch 8) left the decision
near its prior (held-out P 0.23 easy / 0.42 hard, even on the training questions), although the loss fell to
0.06 — the decision is one token of ~130 in each target. The same examples in 60 steps of 2 learn it.
"""

from __future__ import annotations

import random
import statistics
from pathlib import Path

import pytest
import torch
from train_helpers import product_mcq

from toolwise.bench.backends.hf import HFBackend
from toolwise.bench.backends.scripted import OracleBackend
from toolwise.bench.loop import Request, run_conversations
from toolwise.bench.problem import Problem
from toolwise.training.config import SFTStageConfig
from toolwise.training.conversations import DirectForm, direct_choice_example, tool_transcript_example
from toolwise.training.decision import call_probabilities
from toolwise.training.trainers import ModelSource, run_sft

pytestmark = pytest.mark.slow


def questions(n: int, seed: int, digits: int, prefix: str) -> list[Problem]:
    rng = random.Random(seed)
    low, high = 10 ** (digits - 1) + (1 if digits == 1 else 0), 10**digits - 1
    problems = []
    for i in range(n):
        a, b = rng.randint(low, high), rng.randint(low, high)
        gap = max(1, round(0.1 * a * b)) if a * b >= 100 else 1  # whole-number options, 10 % apart when large
        problems.append(product_mcq(i, a, b, prefix, gap=gap, decimals=0))
    return problems


def adapt(base: Path, out: Path, form: DirectForm = "lead") -> tuple[list[float], list[float]]:
    """TUA on 20 easy + 20 hard toy questions with direct answers in ``form``; held-out P(tool call) on easy
    and hard questions (a call of the answer tool is no tool use). Also run by compare_direct_forms.py."""
    torch.set_num_threads(2)  # the fixture's one thread suits the tiny models, not a 135M one
    easy, hard = questions(20, 1, 1, "easy"), questions(20, 2, 3, "hard")
    transcripts = run_conversations([Request(p, "forced") for p in hard], OracleBackend(), progress=False)
    examples = [direct_choice_example(p, p.solution, form) for p in easy]
    examples += [tool_transcript_example(p, t, p.solution, form) for p, t in zip(hard, transcripts, strict=True)]
    random.Random(0).shuffle(examples)
    config = SFTStageConfig(
        learning_rate=1e-3, num_train_epochs=3, use_lora=True, lora_r=16, lora_alpha=32,
        per_device_train_batch_size=2, gradient_accumulation_steps=1, warmup_ratio=0.0,
        gradient_checkpointing=False, logging_steps=1, max_length=1024, save_steps=0,
    )  # fmt: skip
    result = run_sft(ModelSource(str(base)), examples, config, out)
    assert result.steps == 60

    backend = HFBackend(pretrained=str(out), device="cpu")
    answer_tool = form == "answer_call"
    p_easy = call_probabilities(backend, questions(8, 3, 1, "held-out-easy"), answer_tool)
    p_hard = call_probabilities(backend, questions(8, 4, 3, "held-out-hard"), answer_tool)
    return p_easy, p_hard


def test_tua_teaches_smollm2_to_call_the_tool_on_hard_questions_only(smollm2_base: Path, tmp_path: Path) -> None:
    p_easy, p_hard = adapt(smollm2_base, tmp_path / "tua")
    assert statistics.mean(p_hard) > 0.7, p_hard
    assert statistics.mean(p_easy) < 0.3, p_easy
