"""Numeric multiple-choice options: the key and its distractors made by one procedure.

Four values are laid out in ascending order with random gaps around the key, which sits at a chosen
position; the gaps do not depend on which position holds the key, so no option's value, spacing or
format singles it out. Every option is printed with the same number of decimals, chosen from the
smallest gap. Signed quantities get additive gaps; strictly positive ones (times, heights, distances)
get multiplicative gaps so that no option is ever negative.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from toolwise.bench.problem import LETTERS

RELATIVE_SPACING = 0.15  # the smallest gap between options, as a fraction of the key (or of the scene's scale)
GAP_SPREAD = (1.0, 1.8)  # each gap is the smallest gap times a factor drawn from this range
MAX_DECIMALS = 6


def spacing(value: float, scale: float, positive: bool) -> float:
    """The smallest gap between adjacent options (absolute for signed values, relative for positive ones)."""
    if positive:
        return RELATIVE_SPACING
    return RELATIVE_SPACING * max(abs(value), abs(scale))


def is_robust(value: float, refined: float, scale: float, positive: bool) -> bool:
    """True when a re-solve at a finer step lands within a quarter of the smallest gap of the key."""
    gap = spacing(value, scale, positive)
    if positive:
        return value > 0 and refined > 0 and abs(math.log(refined / value)) <= gap / 4
    return abs(refined - value) <= gap / 4


def option_values(value: float, key_index: int, scale: float, positive: bool, rng: np.random.Generator) -> list[float]:
    """Four ascending values with ``value`` at ``key_index``."""
    gap = spacing(value, scale, positive)
    steps = gap * rng.uniform(*GAP_SPREAD, size=3)
    offsets = np.concatenate([[0.0], np.cumsum(steps)])
    offsets -= offsets[key_index]
    if positive:
        if value <= 0:
            raise ValueError(f"a positive quantity needs a positive key, got {value}")
        return [float(value * math.exp(o)) for o in offsets]
    return [float(value + o) for o in offsets]


def decimals_for(values: list[float]) -> int:
    """Decimals that print the smallest gap between adjacent values with at least two significant digits."""
    smallest = min(b - a for a, b in itertools.pairwise(values))
    return int(min(MAX_DECIMALS, max(0, 1 - math.floor(math.log10(smallest)))))


def format_option(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # never "-0.00"


def numeric_choices(
    value: float, key_index: int, scale: float, positive: bool, rng: np.random.Generator
) -> dict[str, str]:
    """Options A-D (ascending) for ``value`` with the key at letter ``LETTERS[key_index]``."""
    values = option_values(value, key_index, scale, positive, rng)
    decimals = decimals_for(values)
    texts = [format_option(v, decimals) for v in values]
    if len(set(texts)) != 4:
        raise ValueError(f"options collapsed when printed: {texts}")
    return dict(zip(LETTERS, texts, strict=True))


def nearest_letter(choices: dict[str, str], value: float) -> str:
    """The letter whose option is numerically closest to ``value``."""
    return min(LETTERS, key=lambda letter: (abs(float(choices[letter]) - value), letter))
