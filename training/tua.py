"""Stage 3, Tool Usage Adaptation: answer directly what you know, call tools for the rest.

The WKD model answers each training question ``k`` times without tools. Its
accuracy decides: at least ``easy_threshold`` -> easy, else hard. In the
tool-offering ``choice`` prompt an easy question's target is the direct
tool-free solution, a hard one's the teacher's tool transcript. The smaller
class is replicated to the stated easy:hard ratio (the paper's Eq. 5) and the
WKD no-tool examples are mixed in (Eq. 6).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Any

from toolwise.bench.backends import Backend
from toolwise.bench.loop import LoopLimits
from toolwise.bench.problem import Problem
from toolwise.training.collect import record_transcript
from toolwise.training.config import TUAConfig
from toolwise.training.conversations import (
    Example,
    direct_choice_example,
    no_tool_example,
    tool_transcript_example,
)
from toolwise.training.sampling import sample_transcripts, sampling_options, scores, seed_everything

log = logging.getLogger(__name__)


@dataclass
class Difficulty:
    """One question's direct-answer record under the WKD model."""

    problem_id: str
    scores: list[float]
    accuracy: float
    easy: bool

    def as_dict(self) -> dict[str, Any]:
        return {"problem_id": self.problem_id, "scores": self.scores, "accuracy": self.accuracy, "easy": self.easy}


def classify(problem_scores: list[float], threshold: float) -> tuple[float, bool]:
    """Accuracy over the samples (mean score; open answers are graded) and whether that makes it easy."""
    if not problem_scores:
        raise ValueError("no samples to classify")
    accuracy = sum(problem_scores) / len(problem_scores)
    return accuracy, accuracy >= threshold


def difficulty_split(
    problems: list[Problem], backend: Backend, config: TUAConfig, progress: bool = True
) -> list[Difficulty]:
    """Sample ``k`` direct answers per question and mark each question easy or hard."""
    seed_everything(config.seed)
    samples = sample_transcripts(
        problems,
        backend,
        k=config.k_samples,
        mode="no_tool",
        sampling=sampling_options(config.sample_temperature, config.sample_max_gen_toks),
        limits=LoopLimits(max_turns=1),
        progress=progress,
    )
    out = []
    for problem in problems:
        problem_scores = scores(problem, samples[problem.id])
        accuracy, easy = classify(problem_scores, config.easy_threshold)
        out.append(Difficulty(problem.id, problem_scores, accuracy, easy))
    return out


def replicate(items: list[Example], target: int, rng: random.Random) -> list[Example]:
    """``items`` grown to ``target`` examples: whole copies, then a seeded sample for the remainder."""
    if target <= len(items) or not items:
        return list(items)
    copies, remainder = divmod(target, len(items))
    grown = []
    for copy_index in range(copies):
        grown.extend(_copy(e, copy_index) for e in items)
    grown.extend(_copy(e, copies) for e in rng.sample(items, remainder))
    return grown


def _copy(example: Example, index: int) -> Example:
    return example if index == 0 else {**example, "id": f"{example['id']}#{index + 1}"}


def balance(
    easy: list[Example],
    hard: list[Example],
    ratio: float | None,
    seed: int,
    max_replication: float = float("inf"),
) -> tuple[list[Example], list[Example]]:
    """Replicate the smaller class so that len(easy) / len(hard) is ``ratio`` (to the nearest example).

    The smaller class grows to at most ``max_replication`` times its size: a class of two questions copied
    eleven times teaches the prior, not the decision.
    """
    if ratio is None or not easy or not hard:
        return list(easy), list(hard)
    if ratio <= 0 or max_replication < 1:
        raise ValueError("easy_hard_ratio must be positive and max_replication at least 1")
    rng = random.Random(seed)

    def capped(target: float, size: int) -> int:
        return round(min(target, max_replication * size))

    if len(easy) < ratio * len(hard):
        return replicate(easy, capped(ratio * len(hard), len(easy)), rng), list(hard)
    return list(easy), replicate(hard, capped(len(easy) / ratio, len(hard)), rng)


def tua_examples(
    records: list[dict[str, Any]], problems: dict[str, Problem], split: list[Difficulty], config: TUAConfig
) -> tuple[list[Example], dict[str, Any]]:
    """The TUA training mix and counts for the summary."""
    by_id = {d.problem_id: d for d in split}
    easy, hard, no_tool = [], [], []
    for record in records:
        problem = problems[record["problem_id"]]
        if by_id[problem.id].easy:
            easy.append(direct_choice_example(problem, record["solution"], config.direct_form))
        else:
            final = record["solution"] if config.hard_final_answer == "solution" else None
            hard.append(tool_transcript_example(problem, record_transcript(record), final, config.direct_form))
        if config.mix_no_tool:
            no_tool.append(no_tool_example(problem, record["solution"]))
    balanced_easy, balanced_hard = balance(easy, hard, config.easy_hard_ratio, config.seed, config.max_replication)
    mix = balanced_easy + balanced_hard + no_tool
    random.Random(config.seed).shuffle(mix)
    counts: dict[str, Any] = {
        "easy": len(easy),
        "hard": len(hard),
        "easy_after_balance": len(balanced_easy),
        "hard_after_balance": len(balanced_hard),
        "no_tool": len(no_tool),
        "total": len(mix),
        "direct_form": config.direct_form,
    }
    sizes = {"easy": len(easy), "hard": len(hard)}
    small = [f"{size} {name}" for name, size in sizes.items() if size < config.min_class_questions]
    if small:
        counts["warning"] = (
            f"only {' and '.join(small)} question(s), under {config.min_class_questions}: "
            "the easy/hard decision has too few examples to be learned"
        )
        log.warning("TUA: %s", counts["warning"])
    return mix, counts
