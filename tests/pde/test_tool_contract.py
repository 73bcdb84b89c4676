"""The PDE tools as a model meets them: schemas, clear ToolErrors on bad calls, refusals instead of hangs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from toolwise.tools import get_tool
from toolwise.tools.pde import TOOL_NAMES, solve_refined

HEAT_ROD = {
    "diffusivity": 0.5,
    "length": 20.0,
    "time": 60.0,
    "initial_condition": "step",
    "initial_value": 80.0,
    "initial_value_right": 20.0,
    "boundary": "neumann",
}
PLATE = {
    "diffusivity": 0.5,
    "length_x": 10.0,
    "length_y": 6.0,
    "time": 30.0,
    "initial_condition": "checkerboard",
    "initial_value": 100.0,
    "checker_value": 0.0,
    "checker_size": 2.0,
    "boundary": "periodic",
}
INVASION = {
    "diffusivity": 5.0,
    "growth_rate": 0.5,
    "carrying_capacity": 200.0,
    "length": 100.0,
    "time": 10.0,
    "initial_condition": "step",
    "initial_density": 150.0,
    "occupied_length": 10.0,
    "boundary": "neumann",
}


def call(name: str, arguments: dict[str, Any]) -> Any:
    return get_tool(name).call(arguments)


def error_of(name: str, arguments: dict[str, Any]) -> str:
    outcome = call(name, arguments)
    assert not outcome.ok, f"expected a ToolError, got {outcome.value}"
    return outcome.error


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_schemas_document_every_parameter_for_the_model(name: str) -> None:
    spec = get_tool(name)
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name)
    parameters = spec.parameters["properties"]
    assert all(p.get("description") for p in parameters.values()), "every argument needs a description"
    assert spec.parameters["additionalProperties"] is False
    assert "diffusivity" in spec.parameters["required"] and "time" in spec.parameters["required"]
    assert "units" in spec.description.lower() or "unit" in spec.description.lower()


def test_results_are_json_serialisable_and_deterministic() -> None:
    first = call("solve_diffusion_1d", {**HEAT_ROD, "points": [5.0], "threshold": 50.0})
    get_tool("solve_diffusion_1d").clear_cache()
    again = call("solve_diffusion_1d", {**HEAT_ROD, "points": [5.0], "threshold": 50.0})
    assert first.ok and json.loads(json.dumps(first.value)) == again.value


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("solve_diffusion_1d", {**HEAT_ROD, "diffusivity": -0.5}, "greater than or equal to 0.000000001"),
        ("solve_diffusion_1d", {**HEAT_ROD, "initial_condition": "gaussian"}, "'constant' or 'step'"),
        ("solve_diffusion_1d", {**HEAT_ROD, "boundary": "robin"}, "'dirichlet', 'neumann' or 'periodic'"),
        ("solve_diffusion_1d", {**HEAT_ROD, "points": [25.0]}, "outside the domain"),
        ("solve_diffusion_1d", {**HEAT_ROD, "points": [-1.0]}, "outside the domain"),
        ("solve_diffusion_1d", {**HEAT_ROD, "time": float("nan")}, "time"),
        ("solve_diffusion_1d", {**HEAT_ROD, "initial_value": float("inf")}, "initial_value"),
        ("solve_diffusion_1d", {**HEAT_ROD, "initial_value_right": None}, "needs initial_value_right"),
        ("solve_diffusion_1d", {**HEAT_ROD, "boundary": "dirichlet"}, "needs the fixed wall values"),
        ("solve_diffusion_1d", {**HEAT_ROD, "left_value": 3.0}, "only apply to boundary='dirichlet'"),
        ("solve_diffusion_1d", {**HEAT_ROD, "threshold": 50.0}, "needs at least one point"),
        ("solve_diffusion_1d", {**HEAT_ROD, "points": [1.0] * 21}, "at most 20 points"),
        ("solve_diffusion_1d", {**HEAT_ROD, "temperature": 3}, "unexpected argument"),
        ("solve_diffusion_2d", {**PLATE, "points": [[11.0, 1.0]]}, "outside the domain"),
        ("solve_diffusion_2d", {**PLATE, "points": [[1.0, 7.0]]}, "outside the domain"),
        ("solve_diffusion_2d", {**PLATE, "points": [[1.0]]}, "points"),
        ("solve_diffusion_2d", {**PLATE, "checker_size": None}, "needs checker_value and checker_size"),
        ("solve_diffusion_2d", {**PLATE, "initial_condition": "constant"}, "only apply to initial_condition"),
        ("solve_fisher_kpp_1d", {**INVASION, "growth_rate": 0.0}, "greater than or equal to 0.000000001"),
        ("solve_fisher_kpp_1d", {**INVASION, "initial_density": -5.0}, "greater than or equal to 0"),
        ("solve_fisher_kpp_1d", {**INVASION, "occupied_length": 150.0}, "less than the length"),
        ("solve_fisher_kpp_1d", {**INVASION, "points": [101.0]}, "outside the domain"),
        ("solve_fisher_kpp_1d", {**INVASION, "initial_condition": "logistic"}, "'constant' or 'step'"),
    ],
)
def test_bad_arguments_get_an_error_the_model_can_act_on(name: str, arguments: dict[str, Any], message: str) -> None:
    assert message in error_of(name, arguments)


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        # √(D·t) of a micrometre over a 5 km rod: resolving it would need billions of cells.
        ("solve_diffusion_1d", {**HEAT_ROD, "diffusivity": 1e-9, "time": 1e-3, "length": 5000.0}),
        ("solve_diffusion_2d", {**PLATE, "diffusivity": 1e-6, "length_x": 1e4, "length_y": 1e4, "checker_size": 1.0}),
        # a front a millimetre thick in a 1000 km valley
        ("solve_fisher_kpp_1d", {**INVASION, "diffusivity": 1e-6, "growth_rate": 1.0, "length": 1000.0}),
    ],
)
def test_absurd_grids_are_refused_not_attempted(name: str, arguments: dict[str, Any]) -> None:
    assert "cannot resolve" in error_of(name, arguments)


def test_absurd_growth_times_time_is_refused() -> None:
    assert "generations" in error_of("solve_fisher_kpp_1d", {**INVASION, "growth_rate": 50.0, "time": 1000.0})


def test_a_huge_time_is_cheap_for_linear_diffusion_and_reaches_the_steady_state() -> None:
    # Exact time integration: t = 1e9 costs no more than t = 1, and the insulated rod is uniform at the mean.
    outcome = call("solve_diffusion_1d", {**HEAT_ROD, "time": 1e9})
    assert outcome.ok and outcome.value["min_value"] == pytest.approx(50.0) == outcome.value["max_value"]


def test_refined_solves_agree_with_the_tool() -> None:
    base = call("solve_diffusion_1d", {**HEAT_ROD, "points": [9.0]}).value
    finer = solve_refined("solve_diffusion_1d", {**HEAT_ROD, "points": [9.0]})
    assert finer["grid_cells"] == 2 * base["grid_cells"]
    assert finer["points"][0]["value"] == pytest.approx(base["points"][0]["value"], rel=1e-4)
    with pytest.raises(Exception, match=r"greater than or equal to 0\.000000001"):
        solve_refined("solve_diffusion_1d", {**HEAT_ROD, "diffusivity": -1.0})
