"""Open-ended climate questions: design a shipping route whose extra aerosol emissions warm the world least.

Each question fixes two ports (names and coordinates), the species (SO2 or
black carbon), the percentage rise of the route's emissions, the year, the
scenario and the longest allowed route (a stated multiple of the shortest sea
route, rounded up to 100 km). The rubric stores the reference routes (the
straight line, the great circle, the shortest sea route and the best route
our search found) with their emulated effects; the scorer maps an answer
between the shortest sea route (0) and the best-known route (1).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np

from toolwise.bench.problem import Problem, ToolCall
from toolwise.tasks.climate import _routes
from toolwise.tools.climate._data import use_ensemble
from toolwise.tools.climate._global import SCENARIO_NAMES, SCENARIOS, sensitivity_per_percent
from toolwise.tools.climate.tools import climate_city_coordinates

OPEN_TOOLS = [
    "climate_route_aerosol_warming",
    "climate_land_or_sea",
    "climate_city_coordinates",
    "climate_region_aerosol_warming",
]
PAIRS = (
    ("Shanghai", "Los Angeles"),
    ("Los Angeles", "Honolulu"),
    ("Callao", "Honolulu"),
    ("Miami", "Lisbon"),
    ("Lima", "Auckland"),
    ("San Francisco", "Manila"),
    ("Rotterdam", "New York City"),
    ("Luanda", "Santos"),
    ("Cape Town", "Santos"),
    ("Lagos", "Miami"),
    ("New York City", "Cape Town"),
    ("Halifax", "Dakar"),
    ("Mumbai", "Durban"),
    ("Colombo", "Perth"),
    ("Mombasa", "Karachi"),
    ("Perth", "Cape Town"),
)
SPECIES_TEXT = {"SO2": "sulfur dioxide (SO2)", "BC": "black carbon (BC)"}
PERCENTS = (3, 5, 10, 20)
LENGTH_FACTORS = (1.1, 1.2, 1.3, 1.4)


class Rejected(Exception):
    """This draw makes a poor question; draw again."""


def port(name: str) -> dict[str, Any]:
    c = climate_city_coordinates(name)
    return {"name": c["city"], "country": c["country"], "latitude": c["latitude"], "longitude": c["longitude"]}


def plan(n: int, rng: np.random.Generator) -> list[tuple[tuple[str, str], str, str]]:
    """(port pair, species, scenario) cycling through every pair and species, scenarios balanced."""
    combos = [(pair, species) for pair in PAIRS for species in ("SO2", "BC")]
    out = []
    for k in range(n):
        pair, species = combos[k % len(combos)]
        out.append((pair, species, SCENARIOS[(k // len(combos)) % len(SCENARIOS)]))
    order = rng.permutation(n)
    return [out[i] for i in order]


def random_spec(rng: np.random.Generator, scenario: str) -> tuple[tuple[str, str], str, str]:
    """Another (pair, species) for a scenario, when the planned one makes no good question."""
    pair = PAIRS[int(rng.integers(len(PAIRS)))]
    return pair, str(rng.choice(["SO2", "BC"])), scenario


def answer_text(route: list[tuple[float, float]]) -> str:
    """A route in the answer format the questions ask for: [[longitude, latitude], ...]."""
    return "Answer: " + json.dumps([[round(lon, 2), round(lat, 2)] for lat, lon in route])


def _rounded(route: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(round(lat, 2), round(lon, 2)) for lat, lon in route]


@cache
def references(pair: tuple[str, str], direction: str, factor: float) -> dict[str, Any]:
    """Reference routes for one pair, objective direction ("min"/"max" of sum(r ds)) and length limit."""
    a, b = port(pair[0]), port(pair[1])
    pa, pb = (a["latitude"], a["longitude"]), (b["latitude"], b["longitude"])
    shortest = _routes.search_route(pa, pb, direction, None)
    if shortest is None:
        raise Rejected(f"no sea route between {pair}")
    shortest = _rounded(shortest)
    short_len = _length(shortest)
    max_length = float(np.ceil(factor * short_len / 100.0) * 100.0)
    best = _rounded(_routes.search_route(pa, pb, direction, max_length) or shortest)
    routes = {
        "shortest_sea": shortest,
        "best_known": best,
        "great_circle": _rounded(_routes.great_circle_route(pa, pb)),
        "straight": _rounded(_routes.straight_route(pa, pb)),
    }
    for name in ("shortest_sea", "best_known"):
        lat, lon = np.array(routes[name]).T
        check = _routes.check_route(lat, lon, pa, pb, max_length)
        if not check.valid:
            raise Rejected(f"{name} route {pair} ({direction}) is invalid: {check.reason}")
    return {"ports": (a, b), "max_length_km": max_length, "routes": routes}


def _length(route: list[tuple[float, float]]) -> float:
    lat, lon = np.array(route).T
    return float(np.sum(_routes.distance_km(lat[:-1], lon[:-1], lat[1:], lon[1:])))


def build(rng: np.random.Generator, spec: tuple[tuple[str, str], str, str]) -> Problem:
    pair, species, scenario = spec
    if rng.random() < 0.5:
        pair = (pair[1], pair[0])
    factor = float(rng.choice(LENGTH_FACTORS))
    percent = int(rng.choice(PERCENTS))
    year = int(rng.integers(2030, 2101))
    signs = set()
    for half in ("mean", "half0", "half1"):
        with use_ensemble(half):
            signs.add(np.sign(sensitivity_per_percent(scenario, species, year)))
    if len(signs) != 1 or 0 in signs:
        raise Rejected("the sign of the global response depends on which ensemble members are used")
    direction = "max" if signs.pop() < 0 else "min"
    ref = references(pair, direction, factor)
    a, b = ref["ports"]
    pa, pb = (a["latitude"], a["longitude"]), (b["latitude"], b["longitude"])
    evaluated = {}
    for name, route in ref["routes"].items():
        lat, lon = np.array(route).T
        check = _routes.check_route(lat, lon, pa, pb, ref["max_length_km"])
        delta_t, length = _routes.route_delta_t(lat, lon, scenario, species, year, percent)
        evaluated[name] = {
            "delta_t_C": delta_t,
            "length_km": round(length, 1),
            "valid": check.valid,
            "reason": check.reason,
            "route_lon_lat": [[lo, la] for la, lo in route],
        }
    worst, best = evaluated["shortest_sea"]["delta_t_C"], evaluated["best_known"]["delta_t_C"]
    if not (worst - best) > 0.05 * abs(worst):
        raise Rejected("the search found no clearly better route than the shortest one")
    max_len = ref["max_length_km"]
    question = (
        f"Ships will sail between {a['name']}, {a['country']} (longitude {a['longitude']}, latitude {a['latitude']}) "
        f"and {b['name']}, {b['country']} (longitude {b['longitude']}, latitude {b['latitude']}). Along the route "
        f"they take, {SPECIES_TEXT[species]} emissions rise by {percent}% in every year from 2015 onward. Design the "
        f"route so that the change in global-mean surface air temperature in {year} under "
        f"{SCENARIO_NAMES[scenario]} ({scenario}) is as low as possible (a cooling counts as a negative change).\n"
        f"Rules: the first point must be within {_routes.PORT_TOLERANCE_KM:.0f} km of {a['name']} and the last "
        f"within {_routes.PORT_TOLERANCE_KM:.0f} km of {b['name']}; consecutive points are joined by great-circle "
        f"arcs and must be at least {_routes.MIN_SPACING_KM:.0f} km apart; every point between the ports must be at "
        f"sea, and the arcs may touch land only within {_routes.PORT_EXEMPT_KM:.0f} km of a port; the route may be "
        f"at most {max_len:.0f} km long.\n"
        f"Give your final answer as 'Answer: ' followed by a JSON list of [longitude, latitude] pairs in degrees, "
        f"e.g. Answer: [[{a['longitude']}, {a['latitude']}], ..., [{b['longitude']}, {b['latitude']}]]."
    )
    best_route, short_route = ref["routes"]["best_known"], ref["routes"]["shortest_sea"]
    reference_calls = [
        ToolCall("climate_route_aerosol_warming", _route_args(scenario, year, species, percent, short_route)),
        ToolCall("climate_route_aerosol_warming", _route_args(scenario, year, species, percent, best_route)),
    ]
    rubric = {
        "ports": [a, b],
        "species": species,
        "scenario": scenario,
        "year": year,
        "percent_change": percent,
        "max_length_km": max_len,
        "min_spacing_km": _routes.MIN_SPACING_KM,
        "objective": direction,
        "score_zero_delta_t_C": worst,
        "score_one_delta_t_C": best,
        "references": evaluated,
        "reference_answer": answer_text(best_route),
    }
    solution = (
        f"The shortest sea route from {a['name']} to {b['name']} is {evaluated['shortest_sea']['length_km']:.0f} km "
        f"long and changes global-mean temperature in {year} by {worst * 1000:.4g} mK. A route that spends its "
        f"length where the {species} effect per tonne is {'largest' if direction == 'max' else 'smallest'} "
        f"({evaluated['best_known']['length_km']:.0f} km, within the {max_len:.0f} km limit, at sea throughout) "
        f"changes it by {best * 1000:.4g} mK, which is lower. So the answer is the route below.\n"
        f"{answer_text(best_route)}"
    )
    return Problem(
        id="pending",
        domain="climate",
        question=question,
        answer_type="open",
        answer=rubric,
        tools=list(OPEN_TOOLS),
        reference_calls=reference_calls,
        template=f"route_{species}",
        params={
            "ports": [a["name"], b["name"]],
            "species": species,
            "scenario": scenario,
            "year": year,
            "percent_change": percent,
            "length_factor": factor,
        },
        solution=solution,
    )


def _route_args(scenario: str, year: int, species: str, percent: int, route: list[tuple[float, float]]) -> dict:
    return {
        "scenario": scenario,
        "year": year,
        "species": species,
        "percent_change": percent,
        "waypoints": [{"longitude": lon, "latitude": lat} for lat, lon in route],
    }
