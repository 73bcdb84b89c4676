"""Dataset quality checks every test split must pass (DESIGN.md, "Dataset quality rules"), for any domain.

Format-only guessers pick an option from its form alone; on a good MCQ split
each scores at chance. ``replay_reference_calls`` re-runs a problem's tool
calls, the input of the dataset's self-check; ``quality_failures(domain, problems)`` applies every rule
(``toolwise check <domain>`` on the command line, tests/test_domains.py for every discovered domain).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from toolwise.bench.domain import Domain
from toolwise.bench.problem import LETTERS, Problem
from toolwise.bench.solutions import mentions_tools
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


def replay_mismatches(domain: Domain, problems: Sequence[Problem]) -> list[str]:
    """Problems whose reference calls, replayed through the tools, do not give back their key (one line each)."""
    domain.import_tools()
    out = []
    for problem in problems:
        try:
            key = domain.key_from_tool_results(problem, replay_reference_calls(problem))
        except Exception as exc:  # a failing call or a result the key cannot be read from is a defect of the row
            out.append(f"{problem.id}: replay failed: {type(exc).__name__}: {exc}")
            continue
        if key != problem.answer:
            out.append(f"{problem.id}: the replayed reference calls give {key!r}, the key is {problem.answer!r}")
    return out


def quality_failures(domain: Domain, problems: Sequence[Problem], replay: bool = True) -> list[str]:
    """Every dataset quality rule a split breaks (empty: it passes), for any domain.

    Rows are well formed (unique ids, tools and reference calls that validate, a worked solution that
    narrates no tool run); on the multiple-choice rows every format-only guesser and the key letters are
    within the binomial margin of chance; with ``replay``, every key is what its reference calls give.
    """
    domain.import_tools()
    if not problems:
        return ["the split is empty"]
    failures = []
    ids = [p.id for p in problems]
    if len(set(ids)) != len(ids):
        failures.append(f"problem ids repeat: {sorted(i for i, c in Counter(ids).items() if c > 1)[:5]}")
    for p in problems:
        failures.extend(f"{p.id}: {message}" for message in _row_failures(domain, p))
    mcq = [p for p in problems if p.answer_type == "mcq"]
    if mcq:
        failures.extend(f"guesser {name} scores {acc:.2f}" for name, acc in guessers_above_chance(mcq).items())
        letters, margin = Counter(p.answer for p in mcq), chance_margin(len(mcq))
        if any(abs(letters[letter] / len(mcq) - 0.25) > margin for letter in LETTERS):
            failures.append(f"key letters unbalanced: {dict(sorted(letters.items()))}")
    if replay:
        failures.extend(replay_mismatches(domain, problems))
    return failures


def _row_failures(domain: Domain, p: Problem) -> list[str]:
    out = []
    if p.domain != domain.name:
        out.append(f"domain {p.domain!r}, expected {domain.name!r}")
    if not (p.tools and p.reference_calls):
        out.append("needs tools and reference_calls")
    if not p.solution.strip():
        out.append("needs a worked solution")
    elif mentions_tools(p.solution, p.tools) is not None:
        out.append("the worked solution narrates a tool run")
    for call in p.reference_calls:
        if call.name not in p.tools:
            out.append(f"reference call {call.name} is not offered")
            continue
        try:
            get_tool(call.name).validate(call.arguments)
        except ToolError as exc:
            out.append(f"reference call {call.name}: {exc}")
    return out
