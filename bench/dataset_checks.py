"""Dataset quality checks every test split must pass (DESIGN.md, "Dataset quality rules").

Format-only guessers pick an option from its form alone; on a good MCQ split
each scores at chance. ``replay_reference_calls`` re-runs a problem's tool
calls, the input of the dataset's self-check.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from toolwise.bench.problem import LETTERS, Problem
from toolwise.tools import ToolError, get_tool

_NUM = re.compile(r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?")


def _numbers(option: str) -> list[float]:
    return [float(x) for x in _NUM.findall(option)]


def _first_number(option: str) -> float:
    nums = _numbers(option)
    return nums[0] if nums else math.nan


def _pick_max(key: Callable[[str], float]) -> Callable[[Problem], str]:
    def guess(p: Problem) -> str:
        assert p.choices is not None
        return max(LETTERS, key=lambda letter: (key(p.choices[letter]), letter))

    return guess


def _pick_min(key: Callable[[str], float]) -> Callable[[Problem], str]:
    def guess(p: Problem) -> str:
        assert p.choices is not None
        return min(LETTERS, key=lambda letter: (key(p.choices[letter]), letter))

    return guess


def _only_integer(p: Problem) -> str:
    assert p.choices is not None
    ints = [letter for letter in LETTERS if re.fullmatch(r"\s*[-+]?\d+\s*", p.choices[letter])]
    return ints[0] if len(ints) == 1 else "A"


def _only_capitalised(p: Problem) -> str:
    assert p.choices is not None
    caps = [letter for letter in LETTERS if p.choices[letter][:1].isupper()]
    return caps[0] if len(caps) == 1 else "A"


def _middle_value(p: Problem) -> str:
    """The option whose first number is closest to the median of the four."""
    assert p.choices is not None
    values = {letter: _first_number(p.choices[letter]) for letter in LETTERS}
    finite = [v for v in values.values() if math.isfinite(v)]
    if len(finite) < 4:
        return "A"
    median = statistics.median(finite)
    return min(LETTERS, key=lambda letter: (abs(values[letter] - median), letter))


def _second_smallest(p: Problem) -> str:
    """Interval position: the second interval from the bottom."""
    assert p.choices is not None
    order = sorted(LETTERS, key=lambda letter: (_first_number(p.choices[letter]), letter))
    return order[1]


def _most_digits(p: Problem) -> str:
    assert p.choices is not None
    return max(LETTERS, key=lambda letter: (sum(ch.isdigit() for ch in p.choices[letter]), letter))


def _most_common_letter_factory(problems: Sequence[Problem]) -> Callable[[Problem], str]:
    top = Counter(p.answer for p in problems).most_common(1)[0][0]
    return lambda p: top


FORMAT_GUESSERS: dict[str, Callable[[Problem], str]] = {
    "longest": _pick_max(len),
    "shortest": _pick_min(len),
    "largest_value": _pick_max(_first_number),
    "smallest_value": _pick_min(_first_number),
    "middle_value": _middle_value,
    "second_interval": _second_smallest,
    "only_integer": _only_integer,
    "only_capitalised": _only_capitalised,
    "most_digits": _most_digits,
}


def format_guesser_accuracies(problems: Sequence[Problem]) -> dict[str, float]:
    """Accuracy of each format-only guesser (and of always answering the commonest letter)."""
    mcq = [p for p in problems if p.answer_type == "mcq"]
    if not mcq:
        return {}
    guessers = dict(FORMAT_GUESSERS)
    guessers["commonest_letter"] = _most_common_letter_factory(mcq)
    return {name: sum(g(p) == p.answer for p in mcq) / len(mcq) for name, g in guessers.items()}


def chance_margin(n: int, chance: float = 0.25, z: float = 3.0) -> float:
    """Half-width of a z-sigma binomial band around chance for n problems."""
    return z * math.sqrt(chance * (1 - chance) / max(n, 1))


def guessers_above_chance(problems: Sequence[Problem], z: float = 3.0) -> dict[str, float]:
    """The guessers whose accuracy exceeds chance by more than the binomial margin."""
    mcq = [p for p in problems if p.answer_type == "mcq"]
    margin = chance_margin(len(mcq), z=z)
    return {name: acc for name, acc in format_guesser_accuracies(mcq).items() if acc > 0.25 + margin}


def replay_reference_calls(problem: Problem) -> list[Any]:
    """Run a problem's reference calls through the registered tools; ToolError on any failure."""
    results = []
    for call in problem.reference_calls:
        outcome = get_tool(call.name).call(call.arguments)
        if not outcome.ok:
            raise ToolError(f"problem {problem.id}: reference call {call.name} failed: {outcome.error}")
        results.append(outcome.value)
    return results
