"""Splits of a generated dataset: disjoint random streams, balanced key letters, no test question elsewhere.

Every split has a code that is part of every random seed its generator uses, so no seed of one split can
reproduce another's draws; key letters come in shuffled blocks (or one shuffled balanced list), so position
guessers score at chance; and a training or validation split never repeats a question of the committed test
split.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from toolwise.bench.problem import LETTERS, read_jsonl

SPLITS = ("test", "train", "validation")  # the index is the split's code in every seed


def split_code(split: str, allowed: Sequence[str] = SPLITS) -> int:
    """The split's code; ValueError naming the allowed splits otherwise."""
    if split not in allowed:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(allowed)}")
    return SPLITS.index(split)


def split_rng(split: str, *words: int) -> np.random.Generator:
    """The random stream of (split, words...): seeded with the split's code first."""
    return np.random.default_rng([split_code(split), *words])


# ----------------------------------------------------------------------------- key letters


def shuffled_block(rng: np.random.Generator) -> list[int]:
    """Key positions 0-3, each once, in random order."""
    return [int(k) for k in rng.permutation(len(LETTERS))]


def balanced_positions(n: int, rng: np.random.Generator) -> list[int]:
    """``n`` key positions drawn now, in shuffled blocks of four: each letter the key equally often (to one)."""
    positions: list[int] = []
    while len(positions) < n:
        positions.extend(shuffled_block(rng))
    return positions[:n]


def balanced_letters(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` key letters, each of A-D used equally often (to within one), in one shuffled list."""
    letters = [LETTERS[i % len(LETTERS)] for i in range(n)]
    rng.shuffle(letters)
    return letters


class KeyDeck:
    """Key positions dealt on demand, per group (a template): each group deals its own shuffled blocks of four,
    drawn from the shared stream only when the group's block runs out."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._decks: defaultdict[str, list[int]] = defaultdict(list)

    def deal(self, group: str = "") -> int:
        deck = self._decks[group]
        if not deck:
            deck.extend(shuffled_block(self._rng))
        return deck.pop()


# ----------------------------------------------------------------------------- test-set exclusion


@cache
def questions_in(*paths: Path) -> frozenset[str]:
    """The questions of the committed split files (a file not written yet counts as empty)."""
    return frozenset(p.question for path in paths if path.exists() for p in read_jsonl(path))


def excluded_questions(split: str, *test_files: Path) -> frozenset[str]:
    """What a split must not ask: nothing for the test split itself, the test questions for any other."""
    return frozenset() if split == "test" else questions_in(*test_files)
