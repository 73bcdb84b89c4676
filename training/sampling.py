"""Asking a model the training questions: k answers per question, scored with the harness's scorer."""

from __future__ import annotations

import gc
import importlib.util
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import numpy as np
import torch

from toolwise.bench.backends import Backend, make_backend
from toolwise.bench.loop import LoopLimits, Request, run_conversations
from toolwise.bench.problem import Problem
from toolwise.bench.sampling import Sampling
from toolwise.bench.scoring import score_answer
from toolwise.bench.transcript import Mode, Transcript


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def sampling_options(temperature: float, max_gen_toks: int) -> Sampling:
    """Sampling at ``temperature`` (0 = greedy), at most ``max_gen_toks`` tokens a reply."""
    return Sampling(max_tokens=int(max_gen_toks), temperature=float(temperature))


def sample_transcripts(
    problems: list[Problem],
    backend: Backend,
    k: int,
    mode: Mode,
    sampling: Sampling,
    limits: LoopLimits | None = None,
    progress: bool = True,
) -> dict[str, list[Transcript]]:
    """``k`` conversations per problem in ``mode``, all sent through the loop as one set of batches."""
    requests = [Request(problem=p, mode=mode, sampling=sampling) for p in problems for _ in range(k)]
    transcripts = run_conversations(requests, backend, limits or LoopLimits(), progress=progress)
    out: dict[str, list[Transcript]] = {p.id: [] for p in problems}
    for request, transcript in zip(requests, transcripts, strict=True):
        out[request.problem.id].append(transcript)
    return out


def scores(problem: Problem, transcripts: list[Transcript]) -> list[float]:
    return [score_answer(problem, t) for t in transcripts]


Engine = Literal["hf", "vllm"]


def vllm_importable() -> bool:
    """Whether ``import vllm`` can work here (without importing it: that takes seconds)."""
    if "vllm" in sys.modules:
        return sys.modules["vllm"] is not None
    return importlib.util.find_spec("vllm") is not None


def resolve_sampler(sampler: str) -> Engine:
    """``hf`` or ``vllm`` for a ``sampler`` setting; ``auto`` is vllm when it is importable, hf otherwise."""
    if sampler == "auto":
        return "vllm" if vllm_importable() else "hf"
    if sampler not in ("hf", "vllm"):
        raise ValueError(f"sampler must be auto, hf or vllm, got {sampler!r}")
    return sampler  # type: ignore[return-value]


@contextmanager
def sampler_backend(
    model_dir: str, batch_size: int, device: str | None, max_gen_toks: int, sampler: str = "hf"
) -> Iterator[Backend]:
    """A local backend on a checkpoint (``hf`` or ``vllm``, see :func:`resolve_sampler`), freed when the block ends.

    Both engines render the same prompts (the vllm backend inherits the hf backend's rendering) and read the
    same per-request sampling options; vLLM schedules its own batches, so ``batch_size`` is for hf only. Nothing
    is cached: the k samples of a question must be k draws, not one reply read back k times.
    """
    engine = resolve_sampler(sampler)
    if engine == "vllm":
        backend = make_backend("vllm", cache=False, pretrained=model_dir, max_gen_toks=max_gen_toks, progress=False)
    else:
        backend = make_backend(
            "hf", pretrained=model_dir, batch_size=batch_size, device=device, max_gen_toks=max_gen_toks
        )
    try:
        yield backend
    finally:
        del backend
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


@contextmanager
def hf_backend(model_dir: str, batch_size: int, device: str | None, max_gen_toks: int) -> Iterator[Backend]:
    """An ``hf`` backend on a checkpoint, freed (CPU and GPU memory) when the block ends."""
    with sampler_backend(model_dir, batch_size, device, max_gen_toks, sampler="hf") as backend:
        yield backend
