"""The generator kit (tasks/kit), tested once for every domain that uses it.

Ladders ascend with the key at its rung and fit their bounds; printed options keep one precision and lead back
to the key; synthetic splits built with the kit leave every format-only guesser of bench/dataset_checks at
chance; key letters are balanced; splits never share a stream or a test question; the public numeric loader
reads what it is told, then the hub, then the shared copy.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolwise.bench.dataset_checks import format_guesser_accuracies, guessers_above_chance
from toolwise.bench.problem import LETTERS, Problem, write_jsonl
from toolwise.tasks.kit import public_numeric, splits
from toolwise.tasks.kit.options import (
    decimals_for,
    even_gaps,
    fit_even_ladder,
    format_number,
    jittered_gaps,
    key_holds,
    ladder,
    letter_of,
    min_step_for,
    nearest_letter,
    numeric_choices,
    parse_numbers,
    place_key,
    round_steps,
    smallest_gap,
)

EXAMPLES = settings(max_examples=200, derandomize=True, deadline=None)
keys = st.floats(-1e4, 1e4, allow_nan=False).filter(lambda x: abs(x) > 1e-3)
positive_keys = st.floats(1e-3, 1e6)
ranks = st.integers(0, 3)
steps = st.floats(0.01, 0.5)
seeds = st.integers(0, 2**32 - 1)


# ----------------------------------------------------------------------------- ladders


@EXAMPLES
@given(key=keys, rank=ranks, step=steps, seed=seeds, outward=st.booleans())
def test_an_additive_ladder_ascends_with_the_key_at_its_rung_and_gaps_in_the_jitter(
    key: float, rank: int, step: float, seed: int, outward: bool
) -> None:
    gap = step * max(1.0, abs(key))
    gaps = jittered_gaps(gap, np.random.default_rng(seed), (0.8, 1.25), outward_from=rank if outward else None)
    values = ladder(key, rank, gaps)
    assert values[rank] == key
    assert all(0.8 * gap * (1 - 1e-9) <= b - a <= 1.25 * gap * (1 + 1e-9) for a, b in itertools.pairwise(values))


@EXAMPLES
@given(key=positive_keys, rank=ranks, step=steps, seed=seeds)
def test_a_multiplicative_ladder_stays_positive_with_ratios_in_the_jitter(
    key: float, rank: int, step: float, seed: int
) -> None:
    values = ladder(key, rank, jittered_gaps(step, np.random.default_rng(seed), (1.0, 1.8)), multiplicative=True)
    assert values[rank] == key and all(v > 0 for v in values)
    ratios = [b / a for a, b in itertools.pairwise(values)]
    assert all(math.exp(step) * (1 - 1e-9) <= r <= math.exp(1.8 * step) * (1 + 1e-9) for r in ratios)


def test_even_ladders_space_evenly_and_a_ratio_ladder_multiplies_evenly() -> None:
    assert ladder(10.0, 1, even_gaps(2.5)) == [7.5, 10.0, 12.5, 15.0]
    assert ladder(400.0, 2, even_gaps(math.log(2.0)), multiplicative=True) == pytest.approx([100, 200, 400, 800])
    with pytest.raises(ValueError, match="positive key"):
        ladder(-1.0, 0, even_gaps(0.1), multiplicative=True)


def test_gaps_drawn_outward_from_the_key_fill_the_gaps_above_it_first() -> None:
    bottom_up = jittered_gaps(1.0, np.random.default_rng(3), (0.8, 1.25))
    outward = jittered_gaps(1.0, np.random.default_rng(3), (0.8, 1.25), outward_from=1)
    # draws 1, 2, 3 land on the gaps above rung 1 (gap 1, then gap 2), then below it (gap 0)
    assert outward == [bottom_up[2], bottom_up[0], bottom_up[1]]


def test_round_steps_are_one_two_two_and_a_half_or_five_times_a_power_of_ten() -> None:
    assert round_steps(0.3) == pytest.approx([0.25, 0.2, 0.1, 0.05, 0.025, 0.02])
    assert all(0.3 / 20 <= s <= 0.3 for s in round_steps(0.3))


@EXAMPLES
@given(key=st.floats(0.0, 100.0), rank=ranks, target=st.floats(0.5, 20.0), error=st.floats(0.0, 0.5))
def test_a_fitted_ladder_stays_in_its_bounds_and_wider_than_refinement_moves_the_key(
    key: float, rank: int, target: float, error: float
) -> None:
    refined = key + error
    min_step = min_step_for(key, refined, safety=10.0)
    fitted = fit_even_ladder(key, rank, round_steps(target), min_step, lower=0.0, upper=100.0)
    if fitted is None:  # no round step both wide enough and inside [0, 100]
        return
    assert fitted.values[0] >= 0.0 and fitted.values[-1] <= 100.0
    assert fitted.step >= min_step and fitted.decimals == decimals_for(fitted.step)
    choices = numeric_choices(fitted.values, fitted.decimals)
    assert key_holds(choices, LETTERS[rank], key, refined)


def test_a_ladder_that_cannot_fit_is_refused() -> None:
    assert fit_even_ladder(1.0, 0, round_steps(5.0), min_step=1.0, lower=0.0, upper=2.0) is None  # too wide
    assert fit_even_ladder(50.0, 1, round_steps(5.0), min_step=6.0) is None  # refinement error too large


def test_refinement_error_is_a_ratio_for_multiplicative_ladders_and_infinite_across_zero() -> None:
    assert min_step_for(2.0, 2.1, 4.0) == pytest.approx(0.4)
    assert min_step_for(2.0, 2.2, 4.0, multiplicative=True) == pytest.approx(4 * math.log(1.1))
    assert min_step_for(2.0, -2.0, 4.0, multiplicative=True) == math.inf


# ----------------------------------------------------------------------------- printing and letters


def test_options_share_one_precision_and_never_read_minus_zero() -> None:
    assert numeric_choices([-0.001, 0.5, 1.0, 1.5], 2) == {"A": "0.00", "B": "0.50", "C": "1.00", "D": "1.50"}
    assert format_number(-0.001, 2, signed=True, unit="°C") == "+0.00 °C"
    assert format_number(292_912.0, 0, significant=3) == "293000"
    assert decimals_for(2.5) == 1 and decimals_for(0.05) == 3 and decimals_for(20.0) == 0
    with pytest.raises(ValueError, match="collapse"):
        numeric_choices([1.0, 1.001, 1.002, 1.003], 1)


@EXAMPLES
@given(key=keys, rank=ranks, seed=seeds, signed=st.booleans())
def test_printed_options_lead_back_to_the_key(key: float, rank: int, seed: int, signed: bool) -> None:
    values = ladder(key, rank, jittered_gaps(0.15 * abs(key), np.random.default_rng(seed), (1.0, 1.8)))
    choices = numeric_choices(values, decimals_for(smallest_gap(values)), signed=signed, unit="m/s")
    assert nearest_letter(choices, key) == LETTERS[rank]


def test_nearest_letter_reads_units_intervals_and_ratios() -> None:
    choices = {"A": "-0.40 °C per decade", "B": "+0.10 °C per decade", "C": "+0.60 °C", "D": "+1.10 °C"}
    assert nearest_letter(choices, 0.3) == "B" and nearest_letter(choices, 0.35) == "B"  # a tie goes to B
    counts = {"A": "100 to 200", "B": "150 to 300", "C": "225 to 450", "D": "340 to 680"}
    assert nearest_letter(counts, (160.0, 290.0), log=True) == "B"
    assert nearest_letter({"A": "100", "B": "140", "C": "196", "D": "274"}, 120.0, log=True) == "B"  # not "A"


def test_name_options_put_the_key_at_its_letter() -> None:
    for letter in LETTERS:
        order = place_key("Oslo", ["Lima", "Kyiv", "Pune"], letter, np.random.default_rng(0))
        choices = dict(zip(LETTERS, order, strict=True))
        assert letter_of(choices, "Oslo") == letter and sorted(order) == ["Kyiv", "Lima", "Oslo", "Pune"]
    assert place_key(9, [1, 2, 3], "C") == [1, 2, 9, 3]  # no rng: the others keep their order


# ----------------------------------------------------------------------------- synthetic splits vs the guessers


def _synthetic_split(kind: str, n: int, seed: int) -> list[Problem]:
    """MCQs whose keys come from the kit, as a domain would build them (keys drawn from a skewed distribution)."""
    rng = np.random.default_rng(seed)
    problems = []
    for i, rank in enumerate(splits.balanced_positions(n, rng)):
        key = float(rng.lognormal(1.0, 1.5))
        if kind == "jittered_additive":
            values = ladder(key, rank, jittered_gaps(0.3 * key, rng, (0.8, 1.25), outward_from=rank))
            choices = numeric_choices(values, 2, signed=True, unit="°C")
        elif kind == "jittered_multiplicative":
            values = ladder(key, rank, jittered_gaps(0.15, rng, (1.0, 1.8)), multiplicative=True)
            choices = numeric_choices(values, decimals_for(smallest_gap(values)))
        elif kind == "even_ratio":
            values = ladder(100 * (1 + key), rank, even_gaps(math.log(1.4)), multiplicative=True)
            choices = numeric_choices(values, 0, significant=3)
        else:
            fitted = fit_even_ladder(key, rank, round_steps(0.12 * key), min_step=0.0, lower=0.0)
            assert fitted is not None
            choices = numeric_choices(fitted.values, fitted.decimals)
        problems.append(Problem(f"s-{i}", "synthetic", "?", "mcq", LETTERS[rank], [], choices=choices))
    return problems


@pytest.mark.parametrize("kind", ["jittered_additive", "jittered_multiplicative", "even_ratio", "fitted_even"])
def test_format_only_guessers_score_at_chance_on_synthetic_kit_splits(kind: str) -> None:
    problems = _synthetic_split(kind, 400, seed=11)
    assert guessers_above_chance(problems) == {}, format_guesser_accuracies(problems)
    assert Counter(p.answer for p in problems) == dict.fromkeys(LETTERS, 100)
    assert all(
        nearest_letter(p.choices or {}, parse_numbers(p.choices[p.answer])[0]) == p.answer for p in problems[:50]
    )


def test_the_guessers_catch_a_generator_that_puts_the_key_second_from_the_bottom() -> None:
    rng = np.random.default_rng(5)
    problems = []
    for i in range(200):  # a bad generator: letters balanced, but the key always has one neighbour below it
        key = float(rng.lognormal(1.0, 1.5))
        values = sorted(ladder(key, 1, jittered_gaps(0.3 * key, rng, (0.8, 1.25))), reverse=bool(i % 2))
        choices = numeric_choices(values, decimals_for(smallest_gap(sorted(values))))
        problems.append(Problem(f"b-{i}", "synthetic", "?", "mcq", "B" if i % 2 == 0 else "C", [], choices=choices))
    assert {"second_interval", "middle_value"} & set(guessers_above_chance(problems))


# ----------------------------------------------------------------------------- key letters and splits


def test_key_letters_are_balanced_in_every_block_and_every_group() -> None:
    rng = np.random.default_rng(0)
    positions = splits.balanced_positions(40, rng)
    assert all(sorted(positions[i : i + 4]) == [0, 1, 2, 3] for i in range(0, 40, 4))
    deck = splits.KeyDeck(np.random.default_rng(0))
    dealt = {g: [deck.deal(g) for _ in range(8)] for g in ("pendulum", "box")}
    assert all(Counter(d) == dict.fromkeys(range(4), 2) for d in dealt.values())
    letters = splits.balanced_letters(10, np.random.default_rng(0))
    assert sorted(Counter(letters).values()) == [2, 2, 3, 3]


def test_each_split_has_its_own_stream_and_unknown_splits_are_refused() -> None:
    draws = {s: splits.split_rng(s, 7).random() for s in splits.SPLITS}
    assert len(set(draws.values())) == 3
    assert splits.split_rng("train", 7).random() == draws["train"]
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        splits.split_code("dev")
    with pytest.raises(ValueError, match="expected one of \\['test', 'train'\\]"):
        splits.split_code("validation", allowed=("test", "train"))


def test_only_other_splits_exclude_the_test_questions(tmp_path: Path) -> None:
    test_file = tmp_path / "test.jsonl"
    write_jsonl([Problem("t-0", "d", "How far?", "numeric", 3.0, [])], test_file)
    assert splits.excluded_questions("train", test_file, tmp_path / "not_written.jsonl") == {"How far?"}
    assert splits.excluded_questions("test", test_file) == frozenset()


# ----------------------------------------------------------------------------- public numeric datasets


def _pool(tag: str) -> list[Problem]:
    return [Problem(f"{tag}-1", "toy", "1 + 1?", "numeric", 2.0, [])]


def test_the_numeric_loader_reads_the_given_copy_else_the_hub_else_the_shared_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_local(folder: Path) -> list[Problem]:
        return _pool(folder.name)

    def hub_down() -> list[Problem]:
        raise ConnectionError("offline")

    (tmp_path / "given").mkdir()
    monkeypatch.delenv("TOOLWISE_TOY_DATA", raising=False)
    assert public_numeric.load_pool("toy", tmp_path / "given", read_local, hub_down)[0].id == "given-1"
    assert public_numeric.load_pool("toy", None, read_local, lambda: _pool("hub"))[0].id == "hub-1"
    monkeypatch.setattr(public_numeric, "SHARED_DATA", tmp_path)
    with pytest.raises(RuntimeError, match="TOOLWISE_TOY_DATA"):
        public_numeric.load_pool("toy", None, read_local, hub_down)
    (tmp_path / "toy").mkdir()
    assert public_numeric.load_pool("toy", None, read_local, hub_down)[0].id == "toy-1"
    monkeypatch.setenv("TOOLWISE_TOY_DATA", str(tmp_path / "given"))
    assert public_numeric.load_pool("toy", None, read_local, hub_down)[0].id == "given-1"


def test_pinning_matches_the_papers_rows_by_text_and_refuses_mismatches() -> None:
    pool = [
        Problem("p-1", "toy", "What is  1 + 1?", "numeric", 2.0, []),
        Problem("p-2", "toy", "2+2?", "numeric", 4.0, []),
    ]

    def mismatch(match: Problem, row: dict) -> str | None:  # type: ignore[type-arg]
        return None if match.answer == row["answer"] else "answer differs"

    rows = [{"text": "2+2?", "answer": 4.0}, {"text": "What is 1 + 1?", "answer": 2.0}]
    assert public_numeric.pin_from_paper(rows, "text", pool, mismatch) == ["p-2", "p-1"]
    with pytest.raises(ValueError, match="p-1: answer differs"):
        public_numeric.pin_from_paper([{"text": "What is 1 + 1?", "answer": 3.0}], "text", pool, mismatch)
    with pytest.raises(ValueError, match="twice"):
        public_numeric.pin_from_paper(rows + rows[:1], "text", pool, mismatch)
    with pytest.raises(ValueError, match="not in the pool"):
        public_numeric.pin_from_paper([{"text": "3+3?", "answer": 6.0}], "text", pool, mismatch)
