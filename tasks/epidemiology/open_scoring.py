"""Scoring an open-ended allocation answer: parse, validate, evaluate with the model, map to [0, 1].

Rule (docs/epidemiology.md): the answer's allocation is run through ``epi_allocation_effect``; its target value
J is placed on the anchors no allocation (score 0), uniform allocation (0.5) and best-known allocation (1),
linearly in between, 1 at or below the best-known value and 0 at or above the no-allocation value. An answer
that cannot be parsed, names an unknown county (or one county twice), gives a negative or non-numeric
strength, exceeds the per-county cap or the budget scores 0, and the reason is logged and returned by
:func:`score_details`.
"""

from __future__ import annotations

import ast
import json
import logging
import math
import re
from dataclasses import dataclass
from typing import Any

from toolwise.bench.problem import Problem
from toolwise.tools import ToolError, get_tool
from toolwise.tools.epidemiology import california_model

log = logging.getLogger(__name__)

TOOL = "epi_allocation_effect"
SLACK = 1e-9  # relative tolerance on the budget and cap, for round-off only


class InvalidAnswer(ValueError):
    """The answer breaks the rules of the question; the message says how."""


@dataclass(frozen=True)
class OpenScore:
    score: float
    reason: str
    value: float | None = None
    allocation: dict[str, float] | None = None


def _json_objects(text: str) -> list[str]:
    """Every balanced {...} block in ``text`` that contains no nested braces-in-strings trickery, in order."""
    blocks, depth, start = [], 0, -1
    for i, ch in enumerate(text):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                blocks.append(text[start : i + 1])
    return blocks


def parse_allocation(text: str) -> dict[str, Any]:
    """The last JSON object after the last 'Answer:' (or anywhere when there is no such marker)."""
    if not text or not text.strip():
        raise InvalidAnswer("empty answer")
    markers = [m.end() for m in re.finditer(r"answer\s*:", text, flags=re.IGNORECASE)]
    segment = text[markers[-1] :] if markers and "{" in text[markers[-1] :] else text
    for block in reversed(_json_objects(segment)):
        for loader in (json.loads, ast.literal_eval):
            try:
                value = loader(block)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if isinstance(value, dict):
                return value
    raise InvalidAnswer("no JSON object mapping counties to strengths found in the answer")


def check_allocation(arguments: dict[str, Any], allocation: dict[str, Any]) -> dict[str, float]:
    """Canonical county names to strengths, or InvalidAnswer naming the first broken rule."""
    network = california_model().network
    budget, cap = float(arguments["budget"]), float(arguments["max_per_county"])
    checked: dict[str, float] = {}
    for name, strength in allocation.items():
        if not isinstance(name, str):
            raise InvalidAnswer(f"county names must be strings, got {name!r}")
        try:
            county = network.names[network.index(name)]
        except ToolError as exc:
            raise InvalidAnswer(str(exc)) from None
        if county in checked:
            raise InvalidAnswer(f"{county} appears more than once")
        if isinstance(strength, bool) or not isinstance(strength, int | float):
            raise InvalidAnswer(f"the strength for {county} must be a number, got {strength!r}")
        if not math.isfinite(strength):
            raise InvalidAnswer(f"the strength for {county} is not finite")
        if strength < 0:
            raise InvalidAnswer(f"negative strength {strength:g} for {county}")
        if strength > cap * (1 + SLACK):
            raise InvalidAnswer(f"{county} gets {strength:g}, above the per-county cap {cap:g}")
        checked[county] = float(strength)
    total = sum(checked.values())
    if total > budget * (1 + SLACK):
        raise InvalidAnswer(f"the strengths add up to {total:g}, above the budget {budget:g}")
    return checked


def score_from_value(rubric: dict[str, Any], value: float) -> float:
    """Piecewise-linear: no allocation -> 0, uniform -> 0.5, best known -> 1 (clipped to [0, 1])."""
    none, uniform, best = rubric["value_no_intervention"], rubric["value_uniform"], rubric["value_best_known"]
    if value <= best:
        return 1.0
    if value >= none:
        return 0.0
    if value <= uniform:
        return 0.5 + 0.5 * (uniform - value) / (uniform - best)
    return 0.5 * (none - value) / (none - uniform)


def score_details(problem: Problem, final_text: str) -> OpenScore:
    rubric = problem.answer
    arguments = rubric["tool_arguments"]
    try:
        allocation = check_allocation(arguments, parse_allocation(final_text))
    except InvalidAnswer as exc:
        return OpenScore(0.0, f"invalid: {exc}")
    outcome = get_tool(TOOL).call({**arguments, "allocation": allocation})
    if not outcome.ok:
        return OpenScore(0.0, f"invalid: {outcome.error}", allocation=allocation)
    value = float(outcome.value["with_allocation"])
    points = score_from_value(rubric, value)
    return OpenScore(points, f"target {value:g} vs anchors {_anchors(rubric)}", value, allocation)


def score(problem: Problem, final_text: str) -> float:
    """The harness's entry point (the domain's ``open_scorer``, tasks/epidemiology/domain.py): a score in [0, 1]."""
    details = score_details(problem, final_text)
    if details.reason.startswith("invalid"):
        log.info("problem %s scored 0: %s", problem.id, details.reason)
    return details.score


def _anchors(rubric: dict[str, Any]) -> str:
    return (
        f"none {rubric['value_no_intervention']:g} / uniform {rubric['value_uniform']:g} / "
        f"best known {rubric['value_best_known']:g}"
    )
