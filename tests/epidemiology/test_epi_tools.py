"""The registered tools: schemas a model can read, consistent answers, and ToolError on bad arguments."""

from __future__ import annotations

import re

import numpy as np
import pytest

import toolwise.tools.epidemiology  # noqa: F401  (registers the tools)
from toolwise.tools import ToolError, get_tool
from toolwise.tools.epidemiology import california_model, solver_tolerance

NAMES = ["epi_forecast", "epi_peak", "epi_values_on_day", "epi_allocation_effect", "epi_county_list"]
SCENARIO = {"r0": 2.5, "seed_infections": {"Los Angeles": 300, "Fresno": 100}}


def call(name: str, **arguments):  # type: ignore[no-untyped-def]
    result = get_tool(name).call(arguments)
    if not result.ok:
        raise ToolError(result.error)
    return result.value


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_a_valid_function_description(name: str) -> None:
    schema = get_tool(name).schema()["function"]
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", schema["name"])
    assert len(schema["description"]) > 50
    for prop, spec in schema["parameters"]["properties"].items():
        assert spec.get("description"), f"{name}.{prop} needs a description"


def test_forecast_values_peak_and_state_total_agree() -> None:
    forecast = call(
        "epi_forecast", **SCENARIO, days=90, outputs=["hospitalized", "icu"], regions=["California", "Kern"]
    )
    state = np.array(forecast["series"]["California"]["hospitalized"])
    assert forecast["days"] == list(range(91))
    on_day = call("epi_values_on_day", **SCENARIO, day=45, outputs=["hospitalized"], regions=["California"])
    assert on_day["values"]["California"]["hospitalized"] == state[45]
    peak = call("epi_peak", **SCENARIO, days=90, output="hospitalized", regions=["California", "Kern"])["peaks"]
    assert peak[0]["peak_day"] == int(np.argmax(state)) and peak[0]["peak_value"] == state.max()
    assert peak[1]["region"] == "Kern"
    icu = np.array(forecast["series"]["California"]["icu"])
    assert np.all(icu <= state)


def test_state_total_is_the_sum_of_the_counties() -> None:
    names = california_model().network.names
    state = call("epi_values_on_day", **SCENARIO, day=60, outputs=["infectious"], regions=["California"])
    total = 0.0
    for start in range(0, len(names), 10):
        chunk = call(
            "epi_values_on_day", **SCENARIO, day=60, outputs=["infectious"], regions=list(names[start : start + 10])
        )
        total += sum(v["infectious"] for v in chunk["values"].values())
    assert total == pytest.approx(state["values"]["California"]["infectious"], rel=1e-4)


def test_daily_counts_are_differences_of_the_running_totals() -> None:
    forecast = call("epi_forecast", **SCENARIO, days=40, outputs=["new_deaths", "deaths", "new_infections",
                                                                    "cumulative_infections"])["series"]["California"]  # fmt: skip
    assert forecast["new_deaths"][0] == 0.0
    assert np.allclose(np.diff(forecast["deaths"]), forecast["new_deaths"][1:], rtol=1e-3, atol=1e-3)
    assert np.allclose(np.diff(forecast["cumulative_infections"]), forecast["new_infections"][1:], rtol=1e-3)
    assert forecast["cumulative_infections"][0] == 400  # the seed infections


def test_allocation_effect_reports_the_reduction() -> None:
    effect = call("epi_allocation_effect", **SCENARIO, days=90, kind="work", allocation={"Los Angeles": 0.5},
                  target="hospitalized", measure="peak", start_day=7, budget=1.0, max_per_county=0.5)  # fmt: skip
    assert effect["with_allocation"] < effect["without_allocation"]
    assert effect["reduction"] == pytest.approx(effect["without_allocation"] - effect["with_allocation"], rel=1e-4)
    peak = call("epi_peak", **SCENARIO, days=90, output="hospitalized")["peaks"][0]["peak_value"]
    assert effect["without_allocation"] == peak


def test_county_list_has_every_county_and_the_state_total() -> None:
    listing = call("epi_county_list", with_neighbours=True)
    assert len(listing["counties"]) == 58
    assert sum(c["population_2020"] for c in listing["counties"]) == listing["state_population_2020"] == 39_538_223
    alpine = next(c for c in listing["counties"] if c["county"] == "Alpine")
    assert "Mono" in alpine["neighbours"]


BAD_CALLS = [
    ("epi_forecast", {**SCENARIO, "days": 30, "outputs": ["icu"], "regions": ["Gotham"]}, "unknown California county"),
    ("epi_forecast", {"r0": 2.0, "seed_infections": {"Narnia": 10}, "days": 30, "outputs": ["icu"]}, "unknown"),
    ("epi_forecast", {**SCENARIO, "r0": -1.0, "days": 30, "outputs": ["icu"]}, "r0"),
    ("epi_forecast", {**SCENARIO, "r0": 0.0, "days": 30, "outputs": ["icu"]}, "r0"),
    ("epi_forecast", {"r0": 2.0, "seed_infections": {"Kern": -5}, "days": 30, "outputs": ["icu"]}, "seed_infections"),
    ("epi_forecast", {"r0": 2.0, "seed_infections": {}, "days": 30, "outputs": ["icu"]}, "seed_infections"),
    ("epi_forecast", {"r0": 2.0, "seed_infections": {"Alpine": 5000}, "days": 30, "outputs": ["icu"]}, "1204 people"),
    ("epi_forecast", {**SCENARIO, "days": 121, "outputs": ["icu"]}, "days"),
    ("epi_forecast", {**SCENARIO, "days": 0, "outputs": ["icu"]}, "days"),
    ("epi_forecast", {**SCENARIO, "days": 30, "outputs": ["beds"]}, "outputs"),
    ("epi_forecast", {**SCENARIO, "days": 30, "outputs": ["icu"], "interventions": [{"kind": "work", "strength": 1.5}]},
     "strength"),
    ("epi_forecast", {**SCENARIO, "days": 30, "outputs": ["icu"], "interventions": [{"kind": "work", "strength": -0.2}]},
     "strength"),
    ("epi_forecast", {**SCENARIO, "days": 30, "outputs": ["icu"], "interventions": [{"kind": "curfew", "strength": 0.2}]},
     "kind"),
    ("epi_forecast", {**SCENARIO, "days": 30, "outputs": ["icu"],
                      "interventions": [{"kind": "work", "strength": 0.2, "start_day": 20, "end_day": 10}]}, "end_day"),
    ("epi_forecast", {**SCENARIO, "days": 30, "outputs": ["icu"],
                      "interventions": [{"kind": "work", "strength": 0.2, "counties": ["Atlantis"]}]}, "Atlantis"),
    ("epi_forecast", {**SCENARIO, "days": 30, "outputs": ["icu"], "seasonality_min": 0.2}, "seasonality_min"),
    ("epi_forecast", {**SCENARIO, "days": 30, "outputs": ["icu"], "start_day_of_year": 400}, "start_day_of_year"),
    ("epi_values_on_day", {**SCENARIO, "day": 150, "outputs": ["icu"]}, "day"),
    ("epi_values_on_day", {**SCENARIO, "day": -1, "outputs": ["icu"]}, "day"),
    ("epi_peak", {**SCENARIO, "days": 30, "output": "icu", "regions": []}, "regions"),
    ("epi_allocation_effect", {**SCENARIO, "days": 30, "kind": "work", "allocation": {"Kern": -0.1}, "target": "icu",
                               "measure": "peak"}, "allocation"),
    ("epi_allocation_effect", {**SCENARIO, "days": 30, "kind": "work", "allocation": {"Kern": 0.5, "Inyo": 0.5},
                               "target": "icu", "measure": "peak", "budget": 0.8}, "budget"),
    ("epi_allocation_effect", {**SCENARIO, "days": 30, "kind": "work", "allocation": {"Kern": 0.5}, "target": "icu",
                               "measure": "peak", "max_per_county": 0.3}, "cap"),
    ("epi_allocation_effect", {**SCENARIO, "days": 30, "kind": "work", "allocation": {"Kern": 0.5}, "target": "icu",
                               "measure": "peak", "start_day": 40}, "start_day"),
    ("epi_allocation_effect", {**SCENARIO, "days": 30, "kind": "work", "allocation": {"Kern": 0.2}, "target": "icu",
                               "measure": "median"}, "measure"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "arguments", "mentions"), BAD_CALLS, ids=[f"{n}-{m}" for n, _, m in BAD_CALLS])
def test_bad_arguments_give_a_readable_tool_error(name: str, arguments: dict, mentions: str) -> None:
    result = get_tool(name).call(arguments)
    assert not result.ok
    assert mentions in result.error
    assert "Traceback" not in result.error and "failed:" not in result.error  # a ToolError, not a crash


def test_tighter_solver_tolerance_changes_values_by_less_than_a_thousandth() -> None:
    arguments = {**SCENARIO, "day": 70, "outputs": ["hospitalized", "new_deaths"]}
    default = call("epi_values_on_day", **arguments)["values"]["California"]
    with solver_tolerance(1e-10):
        tight = call("epi_values_on_day", **arguments)["values"]["California"]
    for output in default:
        assert default[output] == pytest.approx(tight[output], rel=1e-3)
    assert call("epi_values_on_day", **arguments)["values"]["California"] == default  # tolerance restored
