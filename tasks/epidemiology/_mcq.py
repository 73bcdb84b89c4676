"""Multiple-choice templates: value on a day, range over days, trend by a stated rule, day of the peak, most
effective intervention, county that peaks first.

Each template builds a question for a requested key letter, or returns None when the sampled case is not
robust (key changes under a much tighter integrator tolerance, options too close, peak not inside the forecast);
the generator then samples again. ``key_from_results`` derives the key letter from the replayed tool results.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from toolwise.bench.problem import LETTERS, Problem, ToolCall
from toolwise.tasks.epidemiology._scenarios import (
    KIND_PHRASES,
    LARGE_COUNTIES,
    STATE,
    ScenarioSpec,
    percent,
    region_text,
    sample_scenario,
    series,
)
from toolwise.tasks.kit.options import even_gaps, format_number, ladder, letter_of, nearest_letter, place_key
from toolwise.tools.epidemiology import region_series, round_sig

DOMAIN = "epidemiology"
TOOLS = ["epi_forecast", "epi_peak", "epi_values_on_day", "epi_allocation_effect", "epi_county_list"]
TIGHT_RTOL = 1e-10  # the robustness re-solve; the tools run at 1e-6

SERIES_NOUN = {
    "infectious": "the number of people infectious",
    "hospitalized": "the number of patients in hospital (ICU included)",
    "icu": "the number of patients in intensive care",
    "deaths": "cumulative deaths since day 0",
    "cumulative_infections": "cumulative infections since day 0 (seed infections included)",
    "new_infections": "daily new infections (infections during each day)",
    "new_hospitalizations": "daily new hospital admissions",
    "new_deaths": "daily new deaths",
}

VALUE_QUESTION = {
    "infectious": "How many people are infectious {where} on day {d}?",
    "hospitalized": "How many patients are in hospital (ICU included) {where} on day {d}?",
    "icu": "How many patients are in intensive care {where} on day {d}?",
    "deaths": "How many people have died {where} from day 0 up to day {d}?",
    "cumulative_infections": "How many people have been infected {where} from day 0 up to day {d}, "
    "seed infections included?",
    "new_infections": "How many new infections occur {where} during day {d} (between day {p} and day {d})?",
    "new_hospitalizations": "How many new hospital admissions occur {where} during day {d} "
    "(between day {p} and day {d})?",
    "new_deaths": "How many people die {where} during day {d} (between day {p} and day {d})?",
}

TREND_LABELS = ("rising", "falling", "roughly flat", "rising then falling")
TREND_RULE = (
    "Call it 'rising then falling' if its largest value on days {a} to {b} falls strictly between them and is "
    "more than 10% above both end values; otherwise 'rising' if the day-{b} value is more than 10% above the "
    "day-{a} value, 'falling' if it is more than 10% below, and 'roughly flat' if not."
)
TREND_THRESHOLD = 1.10
TREND_MARGIN = 0.03  # keep ratios at least 3% away from the 10% thresholds


# ---------------------------------------------------------------- shared helpers


def people(value: float) -> str:
    """A tool value as the tools report it (5 significant digits), written plainly: 292,910 or 45.21."""
    rounded = round_sig(value)
    return f"{rounded:,.0f}" if abs(rounded) >= 1000 else f"{rounded:g}"


def final_size(r0: float) -> float:
    """The share z an unchecked SIR epidemic eventually infects: the root of z = 1 − exp(−R0·z)."""
    z = 1.0
    for _ in range(200):
        z = 1.0 - math.exp(-r0 * z)
    return z


def epidemic_facts(spec: ScenarioSpec) -> str:
    """What R0 implies, in words that carry over to any scenario (the worked solution's reasoning)."""
    text = (
        f"With R0 = {spec.r0:.1f}, an epidemic peaks once 1 − 1/R0 = {1 - 1 / spec.r0:.0%} are immune and, "
        f"unchecked, infects z = 1 − e^(−R0·z) = {final_size(spec.r0):.0%}"
    )
    seasonal = spec.seasonality_min != 1.0
    if spec.interventions:
        return text + ("; interventions and seasonality slow it." if seasonal else "; interventions slow it.")
    return text + ("; seasonality slows it." if seasonal else ".")


def capitalized(text: str) -> str:
    """The first letter upper-cased, the rest kept ("ICU" stays "ICU")."""
    return text[:1].upper() + text[1:]


def count_ladder(value: float, rank: int, ratio: float) -> list[float]:
    """Four counts in geometric progression with ``value`` at position ``rank`` (0 = smallest)."""
    return ladder(value, rank, even_gaps(math.log(ratio)), multiplicative=True)


def format_count(value: float) -> str:
    """A count of people with 3 significant figures, written as an integer (values here are >= 100)."""
    return format_number(value, 0, significant=3)


def trend_label(window: np.ndarray) -> tuple[str, bool]:
    """The rule of TREND_RULE, and whether every ratio it looks at is clear of its threshold by the margin."""
    first, last = float(window[0]), float(window[-1])
    peak_at = int(np.argmax(window))
    clear = True

    def near(ratio: float) -> bool:
        return abs(ratio / TREND_THRESHOLD - 1) < TREND_MARGIN or abs(ratio * TREND_THRESHOLD - 1) < TREND_MARGIN

    bump = float(window[peak_at]) / max(first, last)
    if 0 < peak_at < len(window) - 1:
        clear = not near(bump)
        if bump > TREND_THRESHOLD:
            return "rising then falling", clear
    ratio = last / first
    clear = clear and not near(ratio)
    if ratio > TREND_THRESHOLD:
        return "rising", clear
    if ratio < 1 / TREND_THRESHOLD:
        return "falling", clear
    return "roughly flat", clear


def _pick_region(rng: np.random.Generator, state_share: float = 0.7) -> str:
    return STATE if rng.random() < state_share else str(rng.choice(LARGE_COUNTIES))


def _scenario_call(name: str, spec: ScenarioSpec, **arguments: Any) -> ToolCall:
    return ToolCall(name, {**spec.tool_arguments(), **arguments})


def _problem(
    template: str, spec: ScenarioSpec, question: str, choices: dict[str, str], letter: str, calls: list[ToolCall],
    params: dict[str, Any], solution: str,
) -> Problem:  # fmt: skip
    return Problem(
        id="pending",
        domain=DOMAIN,
        question=f"{spec.text()}\n\n{question}",
        answer_type="mcq",
        answer=letter,
        choices=choices,
        tools=list(TOOLS),
        reference_calls=calls,
        template=template,
        params={"template": template, "scenario": spec.tool_arguments(), **params},
        solution=f"{solution} The answer is {letter}.",
    )


# ---------------------------------------------------------------- templates


def value_on_day(rng: np.random.Generator, letter: str) -> Problem | None:
    spec = sample_scenario(rng)
    output = str(rng.choice(list(VALUE_QUESTION)))
    region = _pick_region(rng)
    day = int(rng.integers(14, 121))
    value = series(spec, output, region, day)[day]
    ratio = float(rng.choice([1.3, 1.4, 1.5, 1.6]))
    values = count_ladder(value, LETTERS.index(letter), ratio)
    if min(values) < 100:
        return None
    choices = {k: format_count(v) for k, v in zip(LETTERS, values, strict=True)}
    tight = series(spec, output, region, day, rtol=TIGHT_RTOL)[day]
    if nearest_letter(choices, tight, log=True) != letter:
        return None
    question = VALUE_QUESTION[output].format(where=region_text(region), d=day, p=day - 1)
    call = _scenario_call("epi_values_on_day", spec, day=day, outputs=[output], regions=[region])
    solution = (
        f"{epidemic_facts(spec)} On day {day}, {SERIES_NOUN[output]} {region_text(region)} is {people(value)}, "
        f"closest to option {letter} ({choices[letter]})."
    )
    params = {"output": output, "region": region, "day": day}
    return _problem("value_on_day", spec, question, choices, letter, [call], params, solution)


def range_between_days(rng: np.random.Generator, letter: str) -> Problem | None:
    spec = sample_scenario(rng)
    output = str(rng.choice(["infectious", "hospitalized", "icu", "new_infections", "new_hospitalizations"]))
    region = _pick_region(rng)
    last = int(rng.integers(20, 121))
    first = last - int(rng.integers(5, 31))
    window = series(spec, output, region, last)[first:]
    low, high = float(window.min()), float(window.max())
    ratio = float(rng.choice([1.3, 1.4, 1.5, 1.6]))
    rank = LETTERS.index(letter)
    lows, highs = count_ladder(low, rank, ratio), count_ladder(high, rank, ratio)
    if min(lows) < 100:
        return None
    choices = {k: f"{format_count(a)} to {format_count(b)}" for k, a, b in zip(LETTERS, lows, highs, strict=True)}
    tight = series(spec, output, region, last, rtol=TIGHT_RTOL)[first:]
    if nearest_letter(choices, (float(tight.min()), float(tight.max())), log=True) != letter:
        return None
    question = (
        f"Between day {first} and day {last} (both included), what are the smallest and the largest daily values "
        f"of {SERIES_NOUN[output]} {region_text(region)}?"
    )
    call = _scenario_call("epi_forecast", spec, days=last, outputs=[output], regions=[region])
    solution = (
        f"{epidemic_facts(spec)} From day {first} to day {last}, {SERIES_NOUN[output]} {region_text(region)} ranges "
        f"from {people(low)} to {people(high)}, closest to option {letter} ({choices[letter]})."
    )
    params = {"output": output, "region": region, "first_day": first, "last_day": last}
    return _problem("range_between_days", spec, question, choices, letter, [call], params, solution)


def trend(rng: np.random.Generator, letter: str, label: str) -> Problem | None:
    spec = sample_scenario(rng)
    output = str(rng.choice(["infectious", "hospitalized", "icu", "new_infections"]))
    region = _pick_region(rng)
    full = series(spec, output, region, 120)
    tight_full = series(spec, output, region, 120, rtol=TIGHT_RTOL)
    for _ in range(60):
        last = int(rng.integers(15, 121))
        first = last - int(rng.integers(7, 41))
        if first < 1 or full[first] < 50:
            continue
        found, clear = trend_label(full[first : last + 1])
        if found == label and clear and trend_label(tight_full[first : last + 1])[0] == label:
            break
    else:
        return None
    order = place_key(label, [x for x in TREND_LABELS if x != label], letter, rng)
    choices = dict(zip(LETTERS, order, strict=True))
    question = (
        f"How does {SERIES_NOUN[output]} {region_text(region)} change from day {first} to day {last}? "
        + TREND_RULE.format(a=first, b=last)
    )
    call = _scenario_call("epi_forecast", spec, days=last, outputs=[output], regions=[region])
    window = full[first : last + 1]
    peak_day = first + int(np.argmax(window))
    solution = (
        f"{epidemic_facts(spec)} {capitalized(SERIES_NOUN[output])} {region_text(region)} is {people(window[0])} on "
        f"day {first} and {people(window[-1])} on day {last}, largest ({people(window.max())}) on day {peak_day}; "
        f"by the stated rule that is '{label}', option {letter}."
    )
    params = {"output": output, "region": region, "first_day": first, "last_day": last, "label": label}
    return _problem("trend", spec, question, choices, letter, [call], params, solution)


def peak_day(rng: np.random.Generator, letter: str) -> Problem | None:
    spec = sample_scenario(rng)
    output = str(rng.choice(["infectious", "hospitalized", "icu", "new_infections", "new_hospitalizations",
                             "new_deaths"]))  # fmt: skip
    region = _pick_region(rng)
    days = int(rng.choice([90, 120]))
    values = series(spec, output, region, days)
    key = int(np.argmax(values))
    if not 3 <= key <= days - 3 or values[key] < 100:
        return None
    top_two = np.sort(values)[-2:]
    if top_two[1] - top_two[0] < 1e-4 * top_two[1]:
        return None  # two days nearly tie at the top: not a robust key
    if int(np.argmax(series(spec, output, region, days, rtol=TIGHT_RTOL))) != key:
        return None
    step = int(rng.integers(5, 9))
    options = [round(d) for d in ladder(key, LETTERS.index(letter), even_gaps(step))]
    if min(options) < 1 or max(options) > days:
        return None
    choices = {k: f"day {d}" for k, d in zip(LETTERS, options, strict=True)}
    question = f"Over days 0 to {days}, on which day is {SERIES_NOUN[output]} {region_text(region)} largest?"
    call = _scenario_call("epi_peak", spec, days=days, output=output, regions=[region])
    solution = (
        f"{epidemic_facts(spec)} {capitalized(SERIES_NOUN[output])} {region_text(region)} is largest on day {key}, "
        f"at {people(values[key])}, option {letter} ({choices[letter]})."
    )
    params = {"output": output, "region": region, "days": days, "peak_day": key}
    return _problem("peak_day", spec, question, choices, letter, [call], params, solution)


BEST_TARGETS = (("hospitalized", "peak"), ("icu", "peak"), ("infectious", "peak"), ("deaths", "final"),
                ("cumulative_infections", "final"))  # fmt: skip


def target_phrase(output: str, measure: str, days: int) -> str:
    if measure == "peak":
        return f"peak (largest daily value over days 0 to {days}) of {SERIES_NOUN[output]} statewide"
    return f"{SERIES_NOUN[output]} statewide on day {days}"


def best_intervention(rng: np.random.Generator, letter: str) -> Problem | None:
    spec = sample_scenario(rng, max_interventions=1)
    output, measure = BEST_TARGETS[int(rng.integers(len(BEST_TARGETS)))]
    days = int(rng.choice([60, 90, 120]))
    start = int(rng.choice([0, 7, 14, 21]))
    strength = float(rng.choice([0.3, 0.4, 0.5, 0.6]))
    kinds = rng.choice(["home", "school", "work", "community", "school_closure", "commuting", "travel"], size=4)
    counties = rng.choice(LARGE_COUNTIES, size=4, replace=False)
    options = [(str(k), str(c)) for k, c in zip(kinds, counties, strict=True)]

    def outcome(kind: str, county: str, rtol: float) -> float:
        extra = {"kind": kind, "strength": strength, "start_day": start, "counties": [county]}
        values = series_with(spec, output, days, rtol, extra)
        return float(values.max() if measure == "peak" else values[-1])

    values = [outcome(k, c, 1e-6) for k, c in options]
    ranked = sorted(values)
    if ranked[1] - ranked[0] < 0.005 * ranked[0]:
        return None
    best = int(np.argmin(values))
    if int(np.argmin([outcome(k, c, TIGHT_RTOL) for k, c in options])) != best:
        return None
    # Put the best option at the requested letter, keeping the other options in their sampled order.
    order = place_key(best, [i for i in range(4) if i != best], letter)
    choices = {
        L: f"{KIND_PHRASES[options[i][0]].format(p=percent(strength))} in {options[i][1]}"
        for L, i in zip(LETTERS, order, strict=True)
    }
    question = (
        f"Which one of these added interventions, each applied from day {start} to the end of a {days}-day "
        f"forecast on top of the scenario, gives the lowest {target_phrase(output, measure, days)}?"
    )
    calls = [
        _scenario_call(
            "epi_allocation_effect",
            spec,
            days=days,
            kind=options[i][0],
            allocation={options[i][1]: strength},
            target=output,
            measure=measure,
            start_day=start,
        )
        for i in order
    ]
    listing = ", ".join(f"{people(values[i])} ({x})" for x, i in zip(LETTERS, order, strict=True) if x != letter)
    solution = (
        f"Cutting contacts where and how the epidemic spreads most lowers it most: with {choices[letter]}, the "
        f"{target_phrase(output, measure, days)} is {people(values[best])}, the lowest, against {listing}."
    )
    params = {"output": output, "measure": measure, "days": days, "start_day": start, "strength": strength}
    return _problem("best_intervention", spec, question, choices, letter, calls, params, solution)


def series_with(spec: ScenarioSpec, output: str, days: int, rtol: float, extra: dict[str, Any]) -> np.ndarray:
    """Statewide series of ``output`` with one intervention added to the scenario."""
    return region_series(spec.simulate(days, rtol=rtol, extra=[extra]), output, None)


def first_county_peak(rng: np.random.Generator, letter: str) -> Problem | None:
    spec = sample_scenario(rng)
    output = str(rng.choice(["infectious", "hospitalized", "new_infections"]))
    days = 120
    unseeded = [c for c in LARGE_COUNTIES if c not in spec.seed_infections]
    counties = [str(c) for c in rng.choice(unseeded, size=4, replace=False)]

    def peak_days(rtol: float) -> list[int]:
        return [int(np.argmax(series(spec, output, c, days, rtol=rtol))) for c in counties]

    peaks = peak_days(1e-6)
    ranked = sorted(peaks)
    if ranked[-1] > days - 3 or ranked[1] - ranked[0] < 3 or peak_days(TIGHT_RTOL) != peaks:
        return None
    first = int(np.argmin(peaks))
    order = place_key(first, [i for i in range(4) if i != first], letter)
    choices = {L: counties[i] for L, i in zip(LETTERS, order, strict=True)}
    question = (
        f"Over days 0 to {days}, in which of these counties does {SERIES_NOUN[output]} reach its largest value "
        "first (on the earliest day)?"
    )
    call = _scenario_call("epi_peak", spec, days=days, output=output, regions=[choices[L] for L in LETTERS])
    listing = ", ".join(f"{counties[i]} day {peaks[i]}" for i in order if i != first)
    seeds = ", ".join(sorted(spec.seed_infections))
    solution = (
        f"The epidemic, seeded in {seeds}, reaches the counties most connected to those first: "
        f"{SERIES_NOUN[output]} peaks in {counties[first]} on day {peaks[first]}, against {listing}."
    )
    params = {"output": output, "days": days, "counties": [choices[L] for L in LETTERS]}
    return _problem("first_county_peak", spec, question, choices, letter, [call], params, solution)


TEMPLATES: dict[str, Callable[..., Problem | None]] = {
    "value_on_day": value_on_day,
    "range_between_days": range_between_days,
    "trend": trend,
    "peak_day": peak_day,
    "best_intervention": best_intervention,
    "first_county_peak": first_county_peak,
}


# ---------------------------------------------------------------- keys from replayed tool results


def key_from_results(problem: Problem, results: list[Any]) -> str:
    """The key letter the replayed reference calls give (the dataset's self-check and the oracle's view)."""
    choices, params = problem.choices or {}, problem.params
    template = params["template"]
    if template == "value_on_day":
        region = params["region"]  # the tools name regions exactly as the params store them
        return nearest_letter(choices, results[0]["values"][region][params["output"]], log=True)
    if template == "range_between_days":
        region = params["region"]  # the tools name regions exactly as the params store them
        window = results[0]["series"][region][params["output"]][params["first_day"] :]
        return nearest_letter(choices, (min(window), max(window)), log=True)
    if template == "trend":
        region = params["region"]  # the tools name regions exactly as the params store them
        window = np.array(results[0]["series"][region][params["output"]][params["first_day"] :])
        label = trend_label(window)[0]
        return letter_of(choices, label)
    if template == "peak_day":
        day = results[0]["peaks"][0]["peak_day"]
        return letter_of(choices, f"day {day}")
    if template == "best_intervention":
        values = [r["with_allocation"] for r in results]
        return LETTERS[int(np.argmin(values))]
    if template == "first_county_peak":
        peaks = results[0]["peaks"]
        earliest = min(peaks, key=lambda p: p["peak_day"])["region"]
        return letter_of(choices, earliest)
    raise ValueError(f"unknown epidemiology template {template!r}")
