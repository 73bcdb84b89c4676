"""Stage 1: tool-grounded trajectories from a teacher, and a tool-free worked solution for each.

The teacher answers every training question in ``forced`` mode. A trajectory
is kept only if the conversation ended with an answer, used a tool, hit no
tool error and scored at least ``min_score``; every other one is dropped and
counted by reason. The tool-free solution (the WKD target) is the dataset's
own ``solution`` or the teacher's rewrite of its trajectory; either must
reach the key and must not mention tools (``bench.solutions.mentions_tools``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from toolwise.bench.backends import Backend, Conversation
from toolwise.bench.loop import LoopLimits
from toolwise.bench.problem import Problem
from toolwise.bench.prompts import ANSWER_FORMAT
from toolwise.bench.scoring import score_answer
from toolwise.bench.solutions import mentions_tools
from toolwise.bench.transcript import Transcript
from toolwise.training.config import CollectConfig
from toolwise.training.sampling import sample_transcripts, sampling_options, seed_everything

REWRITE_INSTRUCTION = (
    "You are a teacher. Below are a question and the record of how it was solved with computational tools: the "
    "calls that were made, the results they returned and the final answer. Write a complete worked solution that "
    "a student could follow: set up the problem, state the quantities that were computed as facts, and reason from "
    "them to the answer. Never mention tools, functions, calls, simulations, code or programs. "
)


@dataclass
class CollectResult:
    """Kept records, dropped problems with reasons, and counts for the summary."""

    records: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        reasons = Counter(d["reason"] for d in self.dropped)
        return {
            "kept": len(self.records),
            "dropped": len(self.dropped),
            "dropped_by_reason": dict(sorted(reasons.items())),
        }


def trajectory_failure(problem: Problem, transcript: Transcript, config: CollectConfig) -> str | None:
    """Why a forced-mode trajectory cannot be a training target, or None if it can."""
    if transcript.error:
        return "backend_error"
    if not transcript.used_tool:
        return "no_tool_call"
    if transcript.tool_errors:
        return "tool_error"
    if transcript.stop_reason != "answered":
        return f"stopped_{transcript.stop_reason or 'unknown'}"
    if score_answer(problem, transcript) < config.min_score:
        return "wrong_answer"
    return None


def solution_scores(problem: Problem, solution: str) -> float:
    """The score a reply consisting of ``solution`` would get."""
    return score_answer(problem, Transcript(problem_id=problem.id, mode="no_tool", final_text=solution))


def render_trajectory(problem: Problem, transcript: Transcript) -> str:
    """The trajectory as plain text for the rewriting teacher."""
    lines = [f"Question:\n{problem.prompt_text()}", "", "Record:"]
    for message in transcript.messages:
        if message["role"] == "assistant":
            for call in message.get("tool_calls") or []:
                fn = call["function"]
                lines.append(f"- call {fn['name']} with {json.dumps(fn['arguments'], ensure_ascii=False)}")
            if message.get("content") and not message.get("tool_calls"):
                lines.append(f"- final answer: {message['content']}")
        elif message["role"] == "tool":
            lines.append(f"- {message.get('name')} returned: {message.get('content')}")
    return "\n".join(lines)


def rewrite_failure(problem: Problem, text: str, config: CollectConfig) -> str | None:
    if not text.strip():
        return "rewrite_empty"
    if mentions_tools(text, problem.tools):
        return "rewrite_mentions_tools"
    if solution_scores(problem, text) < config.min_score:
        return "rewrite_wrong_answer"
    return None


def rewrite_solutions(
    items: list[tuple[Problem, Transcript]], teacher: Backend, config: CollectConfig
) -> list[tuple[str, str | None]]:
    """The teacher's tool-free rewrite of each trajectory, with the reason it is unusable (None when usable)."""
    conversations = [
        Conversation(
            problem=problem,
            mode="no_tool",
            messages=[
                {"role": "system", "content": REWRITE_INSTRUCTION + ANSWER_FORMAT[problem.answer_type]},
                {"role": "user", "content": render_trajectory(problem, transcript)},
            ],
            tools=None,
            sampling=sampling_options(config.temperature, config.max_gen_toks),
        )
        for problem, transcript in items
    ]
    replies = teacher.generate(conversations) if conversations else []
    out = []
    for (problem, _), reply in zip(items, replies, strict=True):
        text = (reply.content or "").strip()
        out.append((text, "rewrite_backend_error" if reply.error else rewrite_failure(problem, text, config)))
    return out


def collect(problems: list[Problem], teacher: Backend, config: CollectConfig, progress: bool = True) -> CollectResult:
    """Run the teacher in ``forced`` mode on every problem and keep what can be trained on."""
    seed_everything(config.seed)
    transcripts = sample_transcripts(
        problems,
        teacher,
        k=1,
        mode="forced",
        sampling=sampling_options(config.temperature, config.max_gen_toks),
        limits=LoopLimits(max_turns=config.max_turns),
        progress=progress,
    )
    result = CollectResult()
    usable: list[tuple[Problem, Transcript]] = []
    for problem in problems:
        transcript = transcripts[problem.id][0]
        reason = trajectory_failure(problem, transcript, config)
        if reason:
            result.dropped.append({"problem_id": problem.id, "reason": reason, "transcript": transcript.to_dict()})
        else:
            usable.append((problem, transcript))
    if config.solution_source == "teacher":
        solutions = rewrite_solutions(usable, teacher, config)
    else:
        solutions = [(p.solution.strip(), _dataset_solution_failure(p, config)) for p, _ in usable]
    for (problem, transcript), (solution, reason) in zip(usable, solutions, strict=True):
        if reason:
            result.dropped.append({"problem_id": problem.id, "reason": reason, "transcript": transcript.to_dict()})
            continue
        result.records.append(
            {
                "problem_id": problem.id,
                "problem": problem.to_dict(),
                "transcript": transcript.to_dict(),
                "solution": solution,
                "solution_source": config.solution_source,
                "n_tool_calls": transcript.n_tool_attempts,
            }
        )
    return result


def _dataset_solution_failure(problem: Problem, config: CollectConfig) -> str | None:
    if not problem.solution.strip():
        return "no_dataset_solution"
    if mentions_tools(problem.solution, problem.tools):
        # A WKD target teaches knowledge, never a pretend tool run: the same rule as for teacher rewrites.
        return "dataset_solution_mentions_tools"
    if solution_scores(problem, problem.solution) < config.min_score:
        return "dataset_solution_wrong"
    return None


def record_problem(record: dict[str, Any]) -> Problem:
    return Problem.from_dict(record["problem"])


def record_transcript(record: dict[str, Any]) -> Transcript:
    return Transcript.from_json(json.dumps(record["transcript"]))
