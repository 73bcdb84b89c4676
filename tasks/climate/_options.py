"""Multiple-choice options whose form says nothing about which one is right.

Numeric options are sorted, share one format, and sit on a jittered ladder
around the key; the key's rank (= its letter, since options are sorted) is
chosen by the caller from a balanced cycle, so position-based guessers score
at chance. Name options (cities, scenarios) are placed so that the key lands
on the requested letter and the rest are shuffled.
"""

from __future__ import annotations

import re

import numpy as np

from toolwise.bench.problem import LETTERS


def format_value(value: float, decimals: int, signed: bool, unit: str) -> str:
    text = f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"
    if float(text) == 0:  # no "-0.00"
        text = f"{0:+.{decimals}f}" if signed else f"{0:.{decimals}f}"
    return f"{text} {unit}".strip()


def parse_value(option: str) -> float:
    match = re.search(r"[-+]?\d+(?:\.\d+)?", option)
    if match is None:
        raise ValueError(f"no number in option {option!r}")
    return float(match.group())


def numeric_choices(
    key: float,
    letter: str,
    step: float,
    decimals: int,
    rng: np.random.Generator,
    *,
    signed: bool = False,
    unit: str = "",
) -> dict[str, str]:
    """Four sorted options, the key at ``letter``; neighbours 0.8-1.25 steps apart."""
    rank = LETTERS.index(letter)
    values = [0.0] * 4
    values[rank] = key
    for i in range(rank + 1, 4):
        values[i] = values[i - 1] + step * rng.uniform(0.8, 1.25)
    for i in range(rank - 1, -1, -1):
        values[i] = values[i + 1] - step * rng.uniform(0.8, 1.25)
    texts = [format_value(v, decimals, signed, unit) for v in values]
    if len(set(texts)) < 4:
        raise ValueError("options collapse after rounding; use a larger step")
    return dict(zip(LETTERS, texts, strict=True))


def nearest_letter(choices: dict[str, str], value: float) -> str:
    return min(LETTERS, key=lambda letter: abs(parse_value(choices[letter]) - value))


def name_choices(key: str, others: list[str], letter: str, rng: np.random.Generator) -> dict[str, str]:
    """Options that are names: the key at ``letter``, the others shuffled into the remaining places."""
    rest = list(others)
    rng.shuffle(rest)
    order = [*rest[: LETTERS.index(letter)], key, *rest[LETTERS.index(letter) :]]
    return dict(zip(LETTERS, order, strict=True))


def balanced_letters(count: int, rng: np.random.Generator) -> list[str]:
    """Key letters with each of A-D used equally often (up to one), in shuffled order."""
    letters = [LETTERS[i % 4] for i in range(count)]
    rng.shuffle(letters)
    return letters
