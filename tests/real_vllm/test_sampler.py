"""Training's sampler on real vLLM: TUA's difficulty samples come out as on hf, from the same prompts.

Greedy (T = 0) so that the two engines must agree draw for draw: the same prompt tokens, the same replies and
so the same easy/hard split. Each engine's wall time (start-up included, which is what a TUA stage pays) goes
to the suite's report (``$REAL_VLLM_REPORT``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from toy_domain import toy_problems

from toolwise.bench.loop import LoopLimits
from toolwise.training.config import TUAConfig
from toolwise.training.sampling import sample_transcripts, sampler_backend, sampling_options
from toolwise.training.tua import difficulty_split

QUESTIONS = 8
MAX_GEN_TOKS = 48


def test_difficulty_sampling_on_vllm_reads_the_same_prompts_and_samples_as_hf(
    tool_caller: Path, engine_report: dict[str, Any]
) -> None:
    problems = toy_problems(QUESTIONS)
    config = TUAConfig(k_samples=2, sample_temperature=0.0, sample_max_gen_toks=MAX_GEN_TOKS)
    seen: dict[str, Any] = {}
    for engine in ("hf", "vllm"):
        start = time.perf_counter()
        with sampler_backend(str(tool_caller), QUESTIONS, "cpu", MAX_GEN_TOKS, sampler=engine) as backend:
            split = difficulty_split(problems, backend, config, progress=False)
            samples = sample_transcripts(
                problems,
                backend,
                k=1,
                mode="no_tool",
                sampling=sampling_options(0.0, MAX_GEN_TOKS),
                limits=LoopLimits(max_turns=1),
                progress=False,
            )
        seen[engine] = {
            "split": [d.as_dict() for d in split],
            "replies": {pid: [(t.tokens_in, t.final_text) for t in ts] for pid, ts in samples.items()},
            "wall_s": round(time.perf_counter() - start, 1),
        }
    engine_report["sampler"] = {engine: {"wall_s": seen[engine]["wall_s"]} for engine in seen}
    assert all(text for replies in seen["hf"]["replies"].values() for _, text in replies)
    assert seen["vllm"]["replies"] == seen["hf"]["replies"]
    assert seen["vllm"]["split"] == seen["hf"]["split"]
