"""The MuJoCo tools as the harness sees them: one-source schemas, exact physical time, clear errors."""

from __future__ import annotations

import inspect
import math
import time

import mujoco
import numpy as np
import pytest

import toolwise.tools.mujoco as scenes
from toolwise.tools import get_tool
from toolwise.tools.mujoco import _sim

TOOL_NAMES = [fn.__name__ for fn in scenes.SCENE_TOOLS]

# smallest valid arguments per tool, used to probe validation one field at a time
MINIMAL_ARGUMENTS = {
    "simulate_pendulum": {"length_m": 1.0, "bob_mass_kg": 1.0, "initial_angle_deg": 10.0, "duration_s": 1.0},
    "simulate_double_pendulum": {
        "upper_length_m": 1.0,
        "lower_length_m": 1.0,
        "upper_mass_kg": 1.0,
        "lower_mass_kg": 1.0,
        "upper_initial_angle_deg": 10.0,
        "lower_initial_angle_deg": 10.0,
        "duration_s": 1.0,
    },
    "simulate_bouncing_ball": {
        "radius_m": 0.1,
        "mass_kg": 0.5,
        "initial_velocity_x_m_per_s": 1.0,
        "initial_velocity_z_m_per_s": 2.0,
        "duration_s": 1.0,
    },
    "simulate_sphere_collision": {
        "sphere1_radius_m": 0.1,
        "sphere1_mass_kg": 1.0,
        "sphere1_x_m": -1.0,
        "sphere1_y_m": 0.0,
        "sphere1_velocity_x_m_per_s": 1.0,
        "sphere1_velocity_y_m_per_s": 0.0,
        "sphere2_radius_m": 0.1,
        "sphere2_mass_kg": 1.0,
        "sphere2_x_m": 0.0,
        "sphere2_y_m": 0.0,
        "sphere2_velocity_x_m_per_s": 0.0,
        "sphere2_velocity_y_m_per_s": 0.0,
        "duration_s": 1.0,
    },
    "simulate_sliding_box": {
        "incline_angle_deg": 20.0,
        "friction_coefficient": 0.3,
        "box_size_m": 0.2,
        "mass_kg": 1.0,
        "initial_speed_m_per_s": 1.0,
        "duration_s": 1.0,
    },
    "simulate_rolling_ball": {
        "radius_m": 0.1,
        "mass_kg": 1.0,
        "friction_coefficient": 0.3,
        "initial_velocity_m_per_s": 2.0,
        "initial_spin_rad_per_s": 0.0,
        "duration_s": 1.0,
    },
    "simulate_ball_hits_box_on_post": {
        "post_distance_m": 3.0,
        "post_height_m": 1.5,
        "box_size_m": 0.3,
        "box_mass_kg": 0.5,
        "ball_radius_m": 0.1,
        "ball_mass_kg": 1.0,
        "ball_velocity_x_m_per_s": 5.0,
        "ball_velocity_z_m_per_s": 5.5,
        "duration_s": 1.0,
    },
    "simulate_diff_drive_vehicle": {
        "left_wheel_speed_rad_per_s": 4.0,
        "right_wheel_speed_rad_per_s": 6.0,
        "wheel_radius_m": 0.1,
        "track_width_m": 0.4,
        "chassis_mass_kg": 2.0,
        "duration_s": 1.0,
    },
}


def test_every_scene_tool_has_minimal_arguments_here() -> None:
    assert set(MINIMAL_ARGUMENTS) == set(TOOL_NAMES)


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_schema_parameters_are_exactly_the_function_parameters(name: str) -> None:
    spec = get_tool(name)
    signature = inspect.signature(spec.fn).parameters
    schema = spec.schema()["function"]["parameters"]
    assert set(schema["properties"]) == set(signature)
    required = {p for p, param in signature.items() if param.default is inspect.Parameter.empty}
    assert set(schema["required"]) == required
    assert schema["additionalProperties"] is False
    for pname, prop in schema["properties"].items():
        assert prop.get("description"), f"{name}.{pname} has no description"
        assert "maximum" in prop, f"{name}.{pname} is unbounded"


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_minimal_call_runs_and_states_its_units(name: str) -> None:
    outcome = get_tool(name).call(MINIMAL_ARGUMENTS[name])
    assert outcome.ok, outcome.error
    value = outcome.value
    assert value["simulated_time_s"] == 1.0
    for quantity in value["final"]:
        assert quantity.endswith(("_m", "_s", "_deg", "_J", "_per_s", "_per_s2")), quantity


@pytest.mark.parametrize(
    ("name", "field", "bad", "message"),
    [
        ("simulate_pendulum", "bob_mass_kg", -1.0, "greater than or equal to 0.001"),
        ("simulate_pendulum", "length_m", float("nan"), "finite number"),
        ("simulate_pendulum", "duration_s", 1e6, "less than or equal to 30"),
        ("simulate_pendulum", "duration_s", float("inf"), "finite number"),
        ("simulate_bouncing_ball", "mass_kg", 0.0, "greater than or equal to 0.001"),
        ("simulate_bouncing_ball", "restitution", 1.5, "less than or equal to 1"),
        ("simulate_sphere_collision", "sphere2_mass_kg", -3.0, "greater than or equal to 0.001"),
        ("simulate_sliding_box", "incline_angle_deg", 75.0, "less than or equal to 60"),
        ("simulate_rolling_ball", "friction_coefficient", "lots", "valid number"),
        ("simulate_diff_drive_vehicle", "duration_s", -2.0, "greater than 0"),
        ("simulate_ball_hits_box_on_post", "box_mass_kg", float("nan"), "finite number"),
    ],
)
def test_bad_values_raise_a_clear_tool_error(name: str, field: str, bad: object, message: str) -> None:
    outcome = get_tool(name).call({**MINIMAL_ARGUMENTS[name], field: bad})
    assert not outcome.ok
    assert field in outcome.error and message in outcome.error


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_unknown_scene_field_is_refused(name: str) -> None:
    outcome = get_tool(name).call({**MINIMAL_ARGUMENTS[name], "air_density": 1.2})
    assert not outcome.ok and "unexpected argument 'air_density'" in outcome.error


def test_missing_field_is_named() -> None:
    args = dict(MINIMAL_ARGUMENTS["simulate_pendulum"])
    del args["length_m"]
    outcome = get_tool("simulate_pendulum").call(args)
    assert not outcome.ok and "missing required argument 'length_m'" in outcome.error


def test_nan_in_a_json_string_is_refused() -> None:
    outcome = get_tool("simulate_pendulum").call(
        '{"length_m": NaN, "bob_mass_kg": 1, "initial_angle_deg": 10, "duration_s": 1}'
    )
    assert not outcome.ok and "finite number" in outcome.error


def test_a_run_too_long_for_its_step_is_refused_at_once() -> None:
    start = time.perf_counter()
    outcome = get_tool("simulate_pendulum").call(
        {**MINIMAL_ARGUMENTS["simulate_pendulum"], "duration_s": 30.0, "timestep_s": 1e-4}
    )
    assert not outcome.ok and "limit" in outcome.error and "timestep_s" in outcome.error
    assert time.perf_counter() - start < 1.0  # refused before stepping, so the harness never hangs


def test_the_longest_allowed_run_finishes() -> None:
    outcome = get_tool("simulate_pendulum").call({**MINIMAL_ARGUMENTS["simulate_pendulum"], "duration_s": 30.0})
    assert outcome.ok and outcome.value["simulated_time_s"] == 30.0


def test_impossible_placements_are_refused() -> None:
    overlap = {**MINIMAL_ARGUMENTS["simulate_sphere_collision"], "sphere1_x_m": -0.15}
    outcome = get_tool("simulate_sphere_collision").call(overlap)
    assert not outcome.ok and "overlap" in outcome.error
    inside = {**MINIMAL_ARGUMENTS["simulate_ball_hits_box_on_post"], "post_distance_m": 0.5, "ball_radius_m": 0.5}
    outcome = get_tool("simulate_ball_hits_box_on_post").call(inside)
    assert not outcome.ok and "inside the post" in outcome.error


@pytest.mark.parametrize(("duration", "step"), [(3.0, 0.001), (0.37, 0.001), (1.2345, 0.0005), (2.0, 0.003)])
def test_the_stated_duration_is_the_simulated_duration(duration: float, step: float) -> None:
    model = mujoco.MjModel.from_xml_string(
        '<mujoco><worldbody><body><joint type="hinge" axis="0 1 0"/>'
        '<inertial pos="0 0 -1" mass="1" diaginertia="1e-6 1e-6 1e-6"/></body></worldbody></mujoco>'
    )
    data = mujoco.MjData(model)
    run = _sim.run(model, data, duration, step)
    assert data.time == pytest.approx(duration, abs=1e-9)  # MuJoCo's own clock
    assert run.duration_s == duration
    assert run.timestep_s <= step
    assert len(run.time_s) == math.ceil(duration / step - 1e-9) + 1


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_reported_time_is_the_stated_time_whatever_the_step(name: str) -> None:
    args = {**MINIMAL_ARGUMENTS[name], "duration_s": 0.7}
    coarse = get_tool(name).fn(**args)
    fine = get_tool(name).fn(**args, timestep_s=coarse["timestep_s"] / 3)
    assert coarse["simulated_time_s"] == fine["simulated_time_s"] == 0.7
    assert coarse["samples"]["t_s"][-1] == fine["samples"]["t_s"][-1] == 0.7


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_tools_are_deterministic(name: str) -> None:
    fn = get_tool(name).fn
    assert fn(**MINIMAL_ARGUMENTS[name]) == fn(**MINIMAL_ARGUMENTS[name])


def test_drag_acts_on_translation_only() -> None:
    model = mujoco.MjModel.from_xml_string(
        '<mujoco><worldbody><body name="ball"><freejoint/><geom type="sphere" size="0.1" mass="1"/></body>'
        "</worldbody></mujoco>"
    )
    data = mujoco.MjData(model)
    data.qvel[:] = (3.0, 0.0, -4.0, 10.0, 20.0, 30.0)  # fast spin as well
    apply = _sim.quadratic_drag(model, "ball", 0.2)
    assert apply is not None
    apply(data)
    np.testing.assert_allclose(data.xfrc_applied[1, :3], -0.2 * 5.0 * np.array([3.0, 0.0, -4.0]))
    np.testing.assert_array_equal(data.xfrc_applied[1, 3:], 0.0)
    assert _sim.quadratic_drag(model, "ball", 0.0) is None


def test_significant_digit_rounding() -> None:
    assert _sim.sig(123456.789) == 123460.0
    assert _sim.sig(-0.000123456) == -0.00012346
    assert _sim.sig(-0.0) == 0.0 and math.copysign(1, _sim.sig(-0.0)) == 1.0
