"""Stage 2, World Knowledge Distillation: learn to answer directly what the tools computed.

Every collected question gives one SFT example, (P_n prompt, question) ->
the tool-free solution. Open-ended questions then get proposals sampled from
the SFT model, the policy DPO updates, scored by the domain's scorer: every
pair whose scores differ by at least ``min_score_gap`` is a DPO preference.
The best proposal of each question is kept for inspection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolwise.bench.backends import Backend
from toolwise.bench.loop import LoopLimits
from toolwise.bench.problem import Problem
from toolwise.training.config import WKDConfig
from toolwise.training.conversations import Example, no_tool_example, preference_pair
from toolwise.training.sampling import sample_transcripts, sampling_options, scores, seed_everything


@dataclass
class OpenProposals:
    """What sampling proposals for the open-ended questions produced."""

    sft_examples: list[Example] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)
    proposal_scores: dict[str, list[float]] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        return {
            "open_questions": len(self.proposal_scores),
            "best_proposal_examples": len(self.sft_examples),
            "dpo_pairs": len(self.pairs),
        }


def wkd_examples(records: list[dict[str, Any]], problems: dict[str, Problem]) -> list[Example]:
    """One (P_n, question) -> solution example per collected record."""
    return [no_tool_example(problems[r["problem_id"]], r["solution"], kind="wkd") for r in records]


def ranked_pairs(texts: list[str], text_scores: list[float], min_gap: float) -> list[tuple[int, int]]:
    """Index pairs (better, worse) over distinct texts whose scores differ by at least ``min_gap``."""
    seen: dict[str, int] = {}
    for i, text in enumerate(texts):
        if text.strip() and text not in seen:
            seen[text] = i
    distinct = sorted(seen.values(), key=lambda i: -text_scores[i])
    return [
        (a, b) for n, a in enumerate(distinct) for b in distinct[n + 1 :] if text_scores[a] - text_scores[b] >= min_gap
    ]


def open_proposals(
    problems: list[Problem], backend: Backend, config: WKDConfig, progress: bool = True
) -> OpenProposals:
    """Sample, score and rank proposals for the open-ended questions."""
    result = OpenProposals()
    open_problems = [p for p in problems if p.answer_type == "open"]
    if not open_problems:
        return result
    seed_everything(config.seed)
    samples = sample_transcripts(
        open_problems,
        backend,
        k=config.n_proposals,
        mode="no_tool",
        sampling=sampling_options(config.proposal_temperature, config.proposal_max_gen_toks),
        limits=LoopLimits(max_turns=1),
        progress=progress,
    )
    for problem in open_problems:
        transcripts = samples[problem.id]
        texts = [t.final_text for t in transcripts]
        text_scores = scores(problem, transcripts)
        result.proposal_scores[problem.id] = text_scores
        pairs = ranked_pairs(texts, text_scores, config.min_score_gap)
        for better, worse in pairs:
            result.pairs.append(
                preference_pair(problem, texts[better], texts[worse], text_scores[better], text_scores[worse])
            )
        if pairs:
            best = pairs[0][0]
            example = no_tool_example(problem, texts[best], kind="wkd_best_proposal")
            example["score"] = text_scores[best]
            result.sft_examples.append(example)
    return result
