"""Multiple-choice options for a numeric key: an evenly spaced ladder with the key at a chosen rung.

Every option comes from the same procedure (key + k·step, rounded to one
shared precision), so nothing in their form marks the key; the key's rung is
chosen by the caller (balanced over A–D), and the ladder must fit inside the
range the physics allows, so no option is absurd on its face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from toolwise.bench.problem import LETTERS

_NICE_MANTISSAS = (1.0, 2.0, 2.5, 5.0)


@dataclass(frozen=True)
class OptionLadder:
    values: tuple[float, float, float, float]
    step: float
    decimals: int

    def choices(self) -> dict[str, str]:
        return {letter: f"{v:.{self.decimals}f}" for letter, v in zip(LETTERS, self.values, strict=True)}


def nice_steps_below(target: float) -> list[float]:
    """Round steps (1, 2, 2.5, 5 × 10^k) not above ``target``, largest first, down to target/20."""
    steps = []
    exponent = math.floor(math.log10(target))
    for e in range(exponent, exponent - 3, -1):
        for m in reversed(_NICE_MANTISSAS):
            s = m * 10.0**e
            if target / 20 <= s <= target:
                steps.append(s)
    return steps


def decimals_for(step: float) -> int:
    """One digit finer than the step: 2.5 → 1 decimal, 0.05 → 3, 20 → 0."""
    return max(0, 1 - math.floor(math.log10(step) + 1e-12))


def build_ladder(
    key: float,
    rung: int,
    target_step: float,
    min_step: float,
    lower: float = -math.inf,
    upper: float = math.inf,
) -> OptionLadder | None:
    """Options key + (k - rung)·step, k = 0..3, ascending; None if no step ≥ ``min_step`` fits in [lower, upper].

    Tries round steps from ``target_step`` downwards and keeps the first whose
    four rounded options stay inside the physical range and remain distinct.
    """
    for step in nice_steps_below(target_step):
        if step < min_step:
            break
        decimals = decimals_for(step)
        values = tuple(round(key + (k - rung) * step, decimals) for k in range(4))
        if values[0] < lower or values[-1] > upper or len(set(values)) < 4:
            continue
        return OptionLadder(values=values, step=step, decimals=decimals)  # type: ignore[arg-type]
    return None


def nearest_letter(choices: dict[str, str], value: float) -> str:
    """The option closest to ``value``."""
    return min(LETTERS, key=lambda letter: (abs(float(choices[letter]) - value), letter))
