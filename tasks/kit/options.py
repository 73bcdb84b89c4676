"""Multiple-choice options whose form says nothing about which one is the key.

A numeric question gets four ascending options on a *ladder*: the key at a rung the caller picks (balanced
over A-D, see ``splits``), the distractors made by the same procedure, three gaps between neighbours that are
either additive (signed quantities) or multiplicative (strictly positive ones, so no option is ever negative),
even or jittered, and one precision for all four. A ladder must fit inside the range the physics allows, and
its step must stay wider than what a finer re-solve moves the key (``min_step_for``), so refinement cannot
flip the letter. Name options (cities, scenarios, labels) put the key at its letter and the rest around it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple, TypeVar

import numpy as np

from toolwise.bench.problem import LETTERS

T = TypeVar("T")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_ROUND_MANTISSAS = (1.0, 2.0, 2.5, 5.0)
MAX_DECIMALS = 6


# ----------------------------------------------------------------------------- ladders


def ladder(key: float, rank: int, gaps: Sequence[float], *, multiplicative: bool = False) -> list[float]:
    """Four ascending values with ``key`` at position ``rank``; ``gaps[k]`` separates options k and k+1.

    Additive gaps are differences; multiplicative gaps are log-ratios (the key must then be positive).
    """
    if len(gaps) != len(LETTERS) - 1 or not 0 <= rank < len(LETTERS):
        raise ValueError(f"a ladder needs 3 gaps and a rank in 0-3, got {len(gaps)} gaps and rank {rank}")
    offsets = np.concatenate([[0.0], np.cumsum(gaps)])
    offsets -= offsets[rank]
    if multiplicative:
        if key <= 0:
            raise ValueError(f"a multiplicative ladder needs a positive key, got {key}")
        return [float(key * math.exp(o)) for o in offsets]
    return [float(key + o) for o in offsets]


def even_gaps(step: float) -> list[float]:
    """Three equal gaps: an evenly spaced ladder (a constant ratio when multiplicative: pass ``log(ratio)``)."""
    return [step] * (len(LETTERS) - 1)


def jittered_gaps(
    step: float, rng: np.random.Generator, jitter: tuple[float, float], *, outward_from: int | None = None
) -> list[float]:
    """Three gaps of ``step`` × U(jitter), drawn from the bottom gap up, or outward from rung ``outward_from``
    (the gaps above it upwards, then those below it downwards): the order fixes which draw lands where."""
    factors = rng.uniform(*jitter, size=len(LETTERS) - 1)
    if outward_from is None:
        slots = list(range(len(factors)))
    else:
        slots = [*range(outward_from, len(factors)), *range(outward_from - 1, -1, -1)]
    gaps = [0.0] * len(factors)
    for slot, factor in zip(slots, factors, strict=True):
        gaps[slot] = step * factor
    return gaps


def round_steps(target: float, down_to: float = 20) -> list[float]:
    """Round steps (1, 2, 2.5, 5 × 10^k) not above ``target``, largest first, down to ``target / down_to``."""
    steps = []
    exponent = math.floor(math.log10(target))
    for e in range(exponent, exponent - 3, -1):
        for m in reversed(_ROUND_MANTISSAS):
            s = m * 10.0**e
            if target / down_to <= s <= target:
                steps.append(s)
    return steps


class FittedLadder(NamedTuple):
    values: tuple[float, ...]  # ascending, already rounded to ``decimals``
    step: float
    decimals: int


def fit_even_ladder(
    key: float,
    rank: int,
    steps: Iterable[float],
    min_step: float,
    lower: float = -math.inf,
    upper: float = math.inf,
) -> FittedLadder | None:
    """The first of ``steps`` (largest first) whose even ladder, rounded, stays in [lower, upper] with four
    distinct options; None once a step falls below ``min_step``."""
    for step in steps:
        if step < min_step:
            break
        decimals = decimals_for(step)
        values = tuple(round(v, decimals) for v in ladder(key, rank, even_gaps(step)))
        if within(values, lower, upper) and len(set(values)) == len(LETTERS):
            return FittedLadder(values, step, decimals)
    return None


def within(values: Iterable[float], lower: float = -math.inf, upper: float = math.inf) -> bool:
    """Every option inside the physical range, so none is absurd on its face."""
    return all(lower <= v <= upper for v in values)


# ----------------------------------------------------------------------------- robustness


def refinement_error(value: float, refined: float, *, multiplicative: bool = False) -> float:
    """How far a finer re-solve moves the key: a difference, or a log-ratio (infinite across zero)."""
    if multiplicative:
        return abs(math.log(refined / value)) if value > 0 and refined > 0 else math.inf
    return abs(refined - value)


def min_step_for(value: float, refined: float, safety: float, *, multiplicative: bool = False) -> float:
    """The smallest option step that keeps the key ``safety`` times farther from its neighbours than
    refinement moves it."""
    return safety * refinement_error(value, refined, multiplicative=multiplicative)


def key_holds(choices: dict[str, str], letter: str, *values: float, log: bool = False) -> bool:
    """Every value (the key, its refined re-solve) is nearest to option ``letter``."""
    return all(nearest_letter(choices, v, log=log) == letter for v in values)


# ----------------------------------------------------------------------------- precision and text


def decimals_for(gap: float, max_decimals: int = MAX_DECIMALS) -> int:
    """Decimals that print ``gap`` with two significant digits: 2.5 → 1, 0.05 → 3, 20 → 0."""
    return int(min(max_decimals, max(0, 1 - math.floor(math.log10(gap) + 1e-12))))


def smallest_gap(values: Sequence[float]) -> float:
    return min(b - a for a, b in itertools.pairwise(values))


def format_number(
    value: float, decimals: int, *, signed: bool = False, unit: str = "", significant: int | None = None
) -> str:
    """One option's text: ``significant`` figures first if given, then ``decimals``; never "-0.00"."""
    if significant is not None:
        value = float(f"{value:.{significant}g}")
    spec = f"{'+' if signed else ''}.{decimals}f"
    text = format(value, spec)
    if float(text) == 0:
        text = format(0.0, spec)
    return f"{text} {unit}".strip()


def numeric_choices(
    values: Sequence[float],
    decimals: int,
    *,
    signed: bool = False,
    unit: str = "",
    significant: int | None = None,
) -> dict[str, str]:
    """Options A-D printed alike; ValueError when rounding makes two of them the same text."""
    texts = [format_number(v, decimals, signed=signed, unit=unit, significant=significant) for v in values]
    if len(set(texts)) < len(LETTERS):
        raise ValueError(f"options collapse when printed: {texts}; use a larger step")
    return dict(zip(LETTERS, texts, strict=True))


def parse_numbers(option: str) -> list[float]:
    """The numbers in an option's text ("+0.25 °C per decade" → [0.25], "120 to 340" → [120, 340])."""
    numbers = [float(x) for x in _NUMBER.findall(option)]
    if not numbers:
        raise ValueError(f"no number in option {option!r}")
    return numbers


def nearest_letter(choices: dict[str, str], value: float | Sequence[float], *, log: bool = False) -> str:
    """The letter whose option is closest to ``value`` (a number, or one number per number in the option,
    e.g. an interval's ends); ``log`` measures by ratio. Ties go to the earlier letter."""
    wanted = [float(v) for v in np.atleast_1d(value)]

    def distance(letter: str) -> float:
        numbers = parse_numbers(choices[letter])
        if log:
            return sum(abs(math.log(a / v)) for a, v in zip(numbers, wanted, strict=True))
        return sum(abs(a - v) for a, v in zip(numbers, wanted, strict=True))

    return min(LETTERS, key=distance)


def place_key(key: T, others: Sequence[T], letter: str, rng: np.random.Generator | None = None) -> list[T]:
    """The options in letter order: ``key`` at ``letter``, the others (shuffled by ``rng`` if given) around it."""
    rest = list(others)
    if rng is not None:
        rng.shuffle(rest)
    at = LETTERS.index(letter)
    return [*rest[:at], key, *rest[at:]]


def letter_of(choices: dict[str, str], option: str) -> str:
    """The letter of the option that reads exactly ``option``."""
    return next(letter for letter in LETTERS if choices[letter] == option)
