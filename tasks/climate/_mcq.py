"""Multiple-choice climate questions: one builder per template, one key rule per template.

Every builder states in the question exactly what its reference calls send
(city and country -> coordinates, year, scenario, season, gas and percent),
computes the key with the tools, and refuses a draw whose key would hinge on
ensemble sampling or rounding (see ``robust``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from toolwise.bench.problem import LETTERS, Problem, ToolCall
from toolwise.tasks.kit.options import jittered_gaps, ladder, nearest_letter, numeric_choices, place_key
from toolwise.tools import get_tool
from toolwise.tools.climate._data import City, cities, cities_by_name, fold, use_ensemble
from toolwise.tools.climate._global import SCENARIO_NAMES, SCENARIOS

MCQ_TOOLS = [
    "climate_city_coordinates",
    "climate_local_temperature",
    "climate_greenhouse_perturbation",
    "climate_global_temperature",
    "climate_land_or_sea",
]
PATHWAYS = {
    "ssp126": "the lowest-emission pathway",
    "ssp245": "an intermediate pathway",
    "ssp370": "a high-emission pathway",
    "ssp585": "the highest-emission pathway",
}
SEASON_TEXT = {"annual": "annual-mean", "DJF": "December-February mean", "JJA": "June-August mean"}
SPECIES_TEXT = {"CO2": "CO2", "CH4": "methane (CH4)", "SO2": "sulfur dioxide (SO2)", "BC": "black carbon (BC)"}
PERCENTS = [p for p in range(-100, 101, 10) if abs(p) >= 20]  # on FaIR's precomputed grid: no interpolation
GAP_JITTER = (0.8, 1.25)  # neighbouring options are 0.8-1.25 steps apart


class Rejected(Exception):
    """This draw makes a poor question (keys too close, value too small); draw again."""


# ----------------------------------------------------------------------------- helpers


def value_choices(
    value: float, letter: str, step: float, decimals: int, rng: np.random.Generator, *, signed: bool = False,
    unit: str = "°C",
) -> dict[str, str]:  # fmt: skip
    """Four sorted options, the key at ``letter``, gaps drawn outward from it."""
    rank = LETTERS.index(letter)
    values = ladder(value, rank, jittered_gaps(step, rng, GAP_JITTER, outward_from=rank))
    return numeric_choices(values, decimals, signed=signed, unit=unit)


def name_choices(key: str, others: list[str], letter: str, rng: np.random.Generator) -> dict[str, str]:
    return dict(zip(LETTERS, place_key(key, others, letter, rng), strict=True))


@cache
def city_pool() -> tuple[City, ...]:
    """Cities whose name is unique in the table: big cities and capitals."""
    index = cities_by_name()
    return tuple(c for c in cities() if len(index[fold(c.name)]) == 1 and (c.population >= 1_000_000 or c.capital))


@cache
def _pool_by_country() -> dict[str, tuple[City, ...]]:
    out: dict[str, list[City]] = {}
    for c in city_pool():
        out.setdefault(c.country_code, []).append(c)
    return {k: tuple(v) for k, v in sorted(out.items())}


def pick_cities(rng: np.random.Generator, n: int) -> list[City]:
    """``n`` cities from ``n`` different countries (countries drawn uniformly, so China does not dominate)."""
    by_country = _pool_by_country()
    codes = rng.choice(list(by_country), size=n, replace=False)
    return [by_country[c][int(rng.integers(len(by_country[c])))] for c in codes]


def place(city: City) -> str:
    return f"{city.name}, {city.country}"


def scenario_text(scenario: str) -> str:
    return f"{SCENARIO_NAMES[scenario]} ({scenario})"


def scenario_gloss(scenario: str) -> str:
    """'SSP1-2.6, the lowest-emission pathway': the fact a worked solution reasons from."""
    return f"{SCENARIO_NAMES[scenario]}, {PATHWAYS[scenario]}"


def species_effect(species: str, percent: int) -> str:
    """Why an emission change warms or cools, in words that carry over to other questions."""
    if species == "SO2":
        return f"sulfate aerosols from SO2 cool the climate, so {'more' if percent > 0 else 'less'} SO2 means " + (
            "cooling" if percent > 0 else "warming"
        )
    return f"{species} is a greenhouse gas, so {'more' if percent > 0 else 'less'} of it means " + (
        "warming" if percent > 0 else "cooling"
    )


def change_text(percent: int) -> str:
    return f"{'increased' if percent > 0 else 'reduced'} by {abs(percent)}%"


def lookup_call(city: City) -> ToolCall:
    return ToolCall("climate_city_coordinates", {"city": city.name, "country": city.country})


def run_tool(name: str, arguments: dict[str, Any]) -> Any:
    """Call a tool's function directly (no registry cache: the robustness check swaps ensembles)."""
    spec = get_tool(name)
    return spec.fn(**spec.validate(arguments))


def coordinates(city: City) -> dict[str, float]:
    result = run_tool("climate_city_coordinates", lookup_call(city).arguments)
    return {"latitude": result["latitude"], "longitude": result["longitude"]}


def temperature_call(city: City, year: int, scenario: str, season: str) -> ToolCall:
    return ToolCall(
        "climate_local_temperature", {**coordinates(city), "year": year, "scenario": scenario, "season": season}
    )


def values_of(results: list[Any], field: str) -> list[float]:
    return [r[field] for r in results if isinstance(r, dict) and field in r]


def top_gap(values: list[float], highest: bool) -> tuple[int, float]:
    order = np.argsort(values)[::-1] if highest else np.argsort(values)
    return int(order[0]), abs(values[order[0]] - values[order[1]])


def future_year(rng: np.random.Generator, first: int = 2025) -> int:
    return int(rng.integers(first, 2101))


# ----------------------------------------------------------------------------- templates


def city_temperature(rng: np.random.Generator, letter: str) -> Problem:
    (city,) = pick_cities(rng, 1)
    scenario = str(rng.choice(SCENARIOS))
    season = str(rng.choice(["annual"] * 6 + ["DJF", "JJA"]))
    historical = rng.random() < 0.3
    year = int(rng.integers(1860, 2011)) if historical else future_year(rng)
    call = temperature_call(city, year, "ssp245" if historical else scenario, season)
    value = run_tool(call.name, call.arguments)["temperature_C"]
    choices = value_choices(value, letter, float(rng.uniform(0.7, 1.3)), 1, rng)
    when = f"in {year} (historical simulation)" if historical else f"in {year} under {scenario_text(scenario)}"
    verb = "was" if historical else "is"
    question = f"What {verb} the {SEASON_TEXT[season]} surface air temperature in {place(city)} {when}?"
    era = f"in {year}" if historical else f"in {year} under {scenario_gloss(scenario)}"
    solution = (
        f"{city.name} lies at latitude {call.arguments['latitude']}, longitude {call.arguments['longitude']}; its "
        f"{SEASON_TEXT[season]} surface air temperature {era} is {value} °C, closest to option {letter} "
        f"({choices[letter]}). So the answer is {letter}."
    )
    params = {
        "city": city.name,
        "country": city.country,
        "year": year,
        "scenario": call.arguments["scenario"],
        "season": season,
        "value": value,
    }
    return _problem("city_temperature", question, choices, letter, [lookup_call(city), call], params, solution)


def city_extreme(rng: np.random.Generator, letter: str) -> Problem:
    mode = str(rng.choice(["highest", "lowest", "most_warming"]))
    picked = pick_cities(rng, 4)
    scenario = str(rng.choice(SCENARIOS))
    year = future_year(rng, 2030)
    calls = [temperature_call(c, year, scenario, "annual") for c in picked]
    field = "warming_vs_1850_1900_C" if mode == "most_warming" else "temperature_C"
    values = [run_tool(c.name, c.arguments)[field] for c in calls]
    best, gap = top_gap(values, highest=mode != "lowest")
    if gap < (0.15 if mode == "most_warming" else 0.5):
        raise Rejected("top two too close")
    names = [place(c) for c in picked]
    choices = name_choices(names[best], [n for i, n in enumerate(names) if i != best], letter, rng)
    order = [names.index(choices[x]) for x in LETTERS]
    picked = [picked[i] for i in order]
    calls = [calls[i] for i in order]
    values = [values[i] for i in order]
    if mode == "most_warming":
        question = (
            f"Which of these cities has the largest annual-mean local warming relative to 1850-1900 in {year} "
            f"under {scenario_text(scenario)}?"
        )
    else:
        question = (
            f"Which of these cities has the {mode} annual-mean surface air temperature in {year} "
            f"under {scenario_text(scenario)}?"
        )
    what = "local warming relative to 1850-1900" if mode == "most_warming" else "annual-mean temperature"
    key = LETTERS.index(letter)
    others = ", ".join(f"{c.name} {v} °C" for i, (c, v) in enumerate(zip(picked, values, strict=True)) if i != key)
    extreme = {"highest": "highest", "lowest": "lowest", "most_warming": "largest"}[mode]
    solution = (
        f"{choices[letter]} has the {extreme} {what} in {year} under {scenario_gloss(scenario)}: "
        f"{values[key]} °C, against {others}. So the answer is {letter}."
    )
    params = {"mode": mode, "cities": [c.name for c in picked], "year": year, "scenario": scenario, "values": values}
    reference = [lookup_call(c) for c in picked] + calls
    return _problem(f"city_{mode}", question, choices, letter, reference, params, solution)


def ghg_change(rng: np.random.Generator, letter: str) -> Problem:
    (city,) = pick_cities(rng, 1)
    scenario = str(rng.choice(SCENARIOS))
    gas = str(rng.choice(["CO2", "CH4"]))
    percent = int(rng.choice(PERCENTS))
    year = future_year(rng, 2040)
    coords = coordinates(city)
    call = ToolCall(
        "climate_greenhouse_perturbation",
        {**coords, "year": year, "scenario": scenario, "gas": gas, "percent_change": percent, "season": "annual"},
    )
    value = run_tool(call.name, call.arguments)["temperature_change_C"]
    if abs(value) < 0.03:
        raise Rejected("change too small to ask about")
    step = max(0.3 * abs(value), 0.03)
    choices = value_choices(value, letter, step, 2, rng, signed=True)
    question = (
        f"By how much does the annual-mean surface air temperature in {place(city)} in {year} under "
        f"{scenario_text(scenario)} change if global {SPECIES_TEXT[gas]} emissions are {change_text(percent)} "
        f"in every year from 2015 onward (positive = warmer)?"
    )
    solution = (
        f"{species_effect(gas, percent)}: with {gas} emissions {change_text(percent)} from 2015 on, the "
        f"annual-mean temperature of {city.name} in {year} under {scenario_gloss(scenario)}, changes by "
        f"{value:+.3f} °C, closest to option {letter} ({choices[letter]}). So the answer is {letter}."
    )
    params = {
        "city": city.name,
        "country": city.country,
        "year": year,
        "scenario": scenario,
        "gas": gas,
        "percent_change": percent,
        "value": value,
    }
    return _problem("ghg_change", question, choices, letter, [lookup_call(city), call], params, solution)


def scenario_spread(rng: np.random.Generator, letter: str) -> Problem:
    (city,) = pick_cities(rng, 1)
    year = future_year(rng, 2040)
    calls = [temperature_call(city, year, s, "annual") for s in SCENARIOS]
    temps = [run_tool(c.name, c.arguments)["temperature_C"] for c in calls]
    value = round(max(temps) - min(temps), 3)
    choices = value_choices(value, letter, max(0.2 * value, 0.1), 2, rng)
    question = (
        f"Across the four scenarios SSP1-2.6, SSP2-4.5, SSP3-7.0 and SSP5-8.5, what is the difference between the "
        f"highest and the lowest annual-mean surface air temperature in {place(city)} in {year}?"
    )
    listing = ", ".join(f"{SCENARIO_NAMES[s]} {t} °C" for s, t in zip(SCENARIOS, temps, strict=True))
    solution = (
        f"The scenarios part as their emissions do; the annual-mean temperatures of {city.name} in {year} are "
        f"{listing}, so the spread is {max(temps)} − {min(temps)} = {value:.3f} °C, closest to option {letter} "
        f"({choices[letter]}). So the answer is {letter}."
    )
    params = {"city": city.name, "country": city.country, "year": year, "temperatures": temps, "value": value}
    return _problem("scenario_spread", question, choices, letter, [lookup_call(city), *calls], params, solution)


def trend(rng: np.random.Generator, letter: str) -> Problem:
    (city,) = pick_cities(rng, 1)
    scenario = str(rng.choice(SCENARIOS))
    first = int(rng.integers(2020, 2061))
    last = first + int(rng.choice([20, 30, 40]))
    calls = [temperature_call(city, y, scenario, "annual") for y in (first, last)]
    t1, t2 = (run_tool(c.name, c.arguments)["temperature_C"] for c in calls)
    value = round((t2 - t1) / ((last - first) / 10), 4)
    choices = value_choices(value, letter, max(0.25 * abs(value), 0.04), 2, rng, signed=True, unit="°C per decade")
    question = (
        f"Under {scenario_text(scenario)}, what is the trend of the annual-mean surface air temperature in "
        f"{place(city)} from {first} to {last}, computed as the temperature in {last} minus the temperature in "
        f"{first}, divided by the number of decades between the two years?"
    )
    solution = (
        f"Under {scenario_gloss(scenario)}, {city.name} has an annual-mean temperature of {t1} °C in {first} and "
        f"{t2} °C in {last}: ({t2} − {t1}) / {(last - first) / 10:g} decades = {value:+.3f} °C per decade, closest "
        f"to option {letter} ({choices[letter]}). So the answer is {letter}."
    )
    params = {
        "city": city.name,
        "country": city.country,
        "scenario": scenario,
        "first_year": first,
        "last_year": last,
        "value": value,
    }
    return _problem("trend", question, choices, letter, [lookup_call(city), *calls], params, solution)


def scenario_extreme(rng: np.random.Generator, letter: str) -> Problem:
    (city,) = pick_cities(rng, 1)
    mode = str(rng.choice(["highest", "lowest"]))
    year = future_year(rng, 2025)
    season = str(rng.choice(["annual"] * 6 + ["DJF", "JJA"]))
    temps = [
        run_tool(c.name, c.arguments)["temperature_C"]
        for c in (temperature_call(city, year, s, season) for s in SCENARIOS)
    ]
    best, gap = top_gap(temps, highest=mode == "highest")
    if gap < 0.1:
        raise Rejected("scenarios too close")
    labels = [SCENARIO_NAMES[s] for s in SCENARIOS]
    choices = name_choices(labels[best], [x for i, x in enumerate(labels) if i != best], letter, rng)
    order = [labels.index(choices[x]) for x in LETTERS]
    calls = [temperature_call(city, year, SCENARIOS[i], season) for i in order]
    question = (
        f"Under which scenario is the {SEASON_TEXT[season]} surface air temperature in {place(city)} {mode} in {year}?"
    )
    keyed = SCENARIOS[order[LETTERS.index(letter)]]
    others = ", ".join(f"{labels[i]} {temps[i]} °C" for i in order if SCENARIOS[i] != keyed)
    # The rule first, then the option letter beside the scenario it names: a small model copies the letter
    # there, where after a run of numbers it had to recall it (and guessed).
    follows = keyed == ("ssp585" if mode == "highest" else "ssp126")
    rule = (
        f"The {mode} temperature comes with the {mode} emissions"
        if follows
        else f"In {year} the pathways do not yet part as their emissions do"
    )
    solution = (
        f"{rule}: {scenario_gloss(keyed)}, is option {letter}. Under it the {SEASON_TEXT[season]} temperature of "
        f"{city.name} in {year} is {temps[SCENARIOS.index(keyed)]} °C, against {others}. So the answer is {letter}."
    )
    params = {
        "mode": mode,
        "city": city.name,
        "country": city.country,
        "year": year,
        "season": season,
        "scenarios": [SCENARIOS[i] for i in order],
        "values": [temps[i] for i in order],
    }
    return _problem(f"scenario_{mode}", question, choices, letter, [lookup_call(city), *calls], params, solution)


def global_perturbation(rng: np.random.Generator, letter: str) -> Problem:
    scenario = str(rng.choice(SCENARIOS))
    species = str(rng.choice(["CO2", "CH4", "SO2"]))  # BC's net effect is small and of either sign in FaIR 1.4.1
    percent = int(rng.choice(PERCENTS))
    year = future_year(rng, 2040)
    call = ToolCall(
        "climate_global_temperature",
        {"year": year, "scenario": scenario, f"{species.lower()}_percent_change": percent},
    )
    result = run_tool(call.name, call.arguments)
    value, change = result["warming_vs_1850_1900_C"], result["change_C"]
    choices = value_choices(value, letter, max(0.08, 0.5 * abs(change)), 2, rng)
    question = (
        f"What is the global-mean surface air temperature change relative to 1850-1900 in {year} under "
        f"{scenario_text(scenario)} if global {SPECIES_TEXT[species]} emissions are {change_text(percent)} in every "
        f"year from 2015 onward?"
    )
    solution = (
        f"Under {scenario_gloss(scenario)}, global warming in {year} is {result['baseline_warming_vs_1850_1900_C']} "
        f"°C above 1850-1900; {species_effect(species, percent)}: with "
        f"{species} emissions {change_text(percent)} it is {value} °C ({change:+.3f} °C), closest to option {letter} ({choices[letter]}). So the answer is "
        f"{letter}."
    )
    params = {"year": year, "scenario": scenario, "species": species, "percent_change": percent, "value": value}
    return _problem("global_perturbation", question, choices, letter, [call], params, solution)


def _problem(
    template: str,
    question: str,
    choices: dict[str, str],
    letter: str,
    calls: list[ToolCall],
    params: dict[str, Any],
    solution: str,
) -> Problem:
    return Problem(
        id="pending",
        domain="climate",
        question=question,
        answer_type="mcq",
        answer=letter,
        tools=list(MCQ_TOOLS),
        reference_calls=calls,
        template=template,
        choices=choices,
        unit="°C",
        params=params,
        solution=solution,
    )


# ----------------------------------------------------------------------------- keys

TEMPLATES: dict[str, tuple[Callable[[np.random.Generator, str], Problem], int]] = {
    # builder, count in a 168-problem split (multiples of 4 keep the key letters exactly balanced)
    "city_temperature": (city_temperature, 40),
    "city_extreme": (city_extreme, 28),
    "ghg_change": (ghg_change, 28),
    "scenario_spread": (scenario_spread, 16),
    "trend": (trend, 16),
    "scenario_extreme": (scenario_extreme, 20),
    "global_perturbation": (global_perturbation, 20),
}


def key_from_results(problem: Problem, results: list[Any]) -> str:
    """The letter the tool results imply, by the rule of the problem's template."""
    t = problem.template
    assert problem.choices is not None
    if t == "city_temperature":
        return nearest_letter(problem.choices, values_of(results, "temperature_C")[0])
    if t in ("city_highest", "city_lowest", "city_most_warming"):
        field = "warming_vs_1850_1900_C" if t == "city_most_warming" else "temperature_C"
        values = values_of(results, field)
        pick = np.argmin(values) if t == "city_lowest" else np.argmax(values)
        return LETTERS[int(pick)]
    if t == "ghg_change":
        return nearest_letter(problem.choices, values_of(results, "temperature_change_C")[0])
    if t == "scenario_spread":
        temps = values_of(results, "temperature_C")
        return nearest_letter(problem.choices, max(temps) - min(temps))
    if t == "trend":
        t1, t2 = values_of(results, "temperature_C")
        decades = (problem.params["last_year"] - problem.params["first_year"]) / 10
        return nearest_letter(problem.choices, (t2 - t1) / decades)
    if t in ("scenario_highest", "scenario_lowest"):
        temps = values_of(results, "temperature_C")
        return LETTERS[int(np.argmax(temps) if t == "scenario_highest" else np.argmin(temps))]
    if t == "global_perturbation":
        return nearest_letter(problem.choices, values_of(results, "warming_vs_1850_1900_C")[0])
    raise ValueError(f"unknown climate template {t!r}")


def robust(problem: Problem) -> bool:
    """The key survives re-solving with each half of the FaIR ensemble (a coarser, independent sample)."""
    for half in ("half0", "half1"):
        with use_ensemble(half):
            results = [run_tool(c.name, c.arguments) for c in problem.reference_calls]
        if key_from_results(problem, results) != problem.answer:
            return False
    return True
