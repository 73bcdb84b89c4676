"""Every MuJoCo tool is right over its whole schema range, not only where the generator samples (issue 18).

Arguments are drawn by hypothesis from the tools' full declared ranges (derandomized: the same examples in
every run) and checked against closed forms or invariants. The fast tests draw a few examples each; the slow
ones draw many more and run in CI.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from toolwise.tools import ToolError, get_tool
from toolwise.tools.mujoco import simulate_sliding_box
from toolwise.tools.mujoco.sliding_box import REST_SPEED_M_PER_S

# derandomized: the same draws in every run; no shrinking, so a failure reports its draw at once in CI
_SETTINGS = {"derandomize": True, "deadline": None, "phases": (Phase.explicit, Phase.generate)}
FAST = settings(max_examples=6, suppress_health_check=[HealthCheck.too_slow], **_SETTINGS)
THOROUGH = settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], **_SETTINGS)


def schema_floats(tool: str, field: str) -> st.SearchStrategy[float]:
    """Finite floats over a parameter's declared range, exactly as the schema states it."""
    spec = get_tool(tool).parameters["properties"][field]
    lo = spec.get("minimum", spec.get("exclusiveMinimum"))
    hi = spec.get("maximum", spec.get("exclusiveMaximum"))
    return st.floats(lo, hi, exclude_min="exclusiveMinimum" in spec, exclude_max="exclusiveMaximum" in spec)


def coulomb(theta_deg: float, mu: float, v0: float, g: float, t: float) -> tuple[float, float]:
    """Position (up the slope) and velocity of a block under Coulomb friction at time t: the closed form."""
    theta = math.radians(theta_deg)
    up = g * (math.sin(theta) + mu * math.cos(theta))  # deceleration while moving up the slope
    down = g * (math.sin(theta) - mu * math.cos(theta))  # acceleration down the slope while moving down
    if up == 0:  # flat and frictionless: it keeps its speed
        return v0 * t, v0
    if v0 > 0:
        stop = v0 / up
        if t <= stop:
            return v0 * t - 0.5 * up * t * t, v0 - up * t
        x, after = v0 * v0 / (2 * up), t - stop
        return (x - 0.5 * down * after * after, -down * after) if down > 0 else (x, 0.0)
    if v0 < 0 and down < 0:
        stop = v0 / down
        t = min(t, stop)
        return v0 * t - 0.5 * down * t * t, v0 - down * t if t < stop else 0.0
    if v0 < 0 or down > 0:
        return v0 * t - 0.5 * down * t * t, v0 - down * t
    return 0.0, 0.0  # at rest and held by static friction


BOX = "simulate_sliding_box"
box_arguments = st.fixed_dictionaries(
    {
        "incline_angle_deg": schema_floats(BOX, "incline_angle_deg"),
        "friction_coefficient": schema_floats(BOX, "friction_coefficient"),
        "box_size_m": schema_floats(BOX, "box_size_m"),
        "mass_kg": schema_floats(BOX, "mass_kg"),
        "initial_speed_m_per_s": st.one_of(st.just(0.0), schema_floats(BOX, "initial_speed_m_per_s")),
        "duration_s": schema_floats(BOX, "duration_s"),
        "gravity_m_per_s2": schema_floats(BOX, "gravity_m_per_s2"),
    }
)


def tips_over(args: dict) -> bool:
    theta, mu = math.radians(args["incline_angle_deg"]), args["friction_coefficient"]
    slides = args["initial_speed_m_per_s"] != 0 or math.tan(theta) > mu
    return (slides and mu > 1) or (not slides and args["incline_angle_deg"] > 45)


def check_box_against_coulomb(args: dict) -> None:
    out = simulate_sliding_box(**args)
    theta, mu = args["incline_angle_deg"], args["friction_coefficient"]
    v0, g, duration = args["initial_speed_m_per_s"], args["gravity_m_per_s2"], args["duration_s"]
    step = out["timestep_s"]
    path = [coulomb(theta, mu, v0, g, duration * i / 400)[0] for i in range(401)]
    # 1 % of the motion's extent, and 0.1 mm for a box held by friction (its soft dry friction creeps < 4 um/s)
    tolerance = 0.01 * max(abs(x) for x in path) + 1e-4
    assert out["final"]["position_along_slope_m"] == pytest.approx(path[-1], abs=tolerance)
    assert out["max"]["position_along_slope_m"] == pytest.approx(max(path), abs=tolerance)
    assert out["min"]["position_along_slope_m"] == pytest.approx(min(path), abs=tolerance)
    assert out["final"]["velocity_along_slope_m_per_s"] == pytest.approx(
        coulomb(theta, mu, v0, g, duration)[1], abs=0.01 * (abs(v0) + g * duration) + 1e-3
    )
    rad = math.radians(theta)
    up = g * (math.sin(rad) + mu * math.cos(rad))
    # it turns round (or stops) inside the run, from a push the 1 cm/s rest threshold can tell from none
    # (a frictionless plane of angle ~0 never turns it round: up == 0)
    if v0 > REST_SPEED_M_PER_S and up > 0 and v0 / up < duration - 2 * step:
        assert out["events"]["highest_point_time_s"] == pytest.approx(v0 / up, rel=0.01, abs=2 * step)
    held = math.tan(rad) <= mu
    decelerating = up if v0 > 0 else g * (mu * math.cos(rad) - math.sin(rad))
    if held and abs(v0) > REST_SPEED_M_PER_S and decelerating > 0:
        rests = (abs(v0) - REST_SPEED_M_PER_S) / decelerating
        if rests < duration - 2 * step:
            assert out["events"]["at_rest_from_time_s"] == pytest.approx(rests, rel=0.01, abs=2 * step)
    if held and v0 == 0:
        assert out["events"]["at_rest_from_time_s"] == 0.0


@FAST
@given(box_arguments)
def test_sliding_box_follows_coulomb_friction_over_its_whole_range(args: dict) -> None:
    assume(not tips_over(args))
    check_box_against_coulomb(args)


@pytest.mark.slow
@THOROUGH
@given(box_arguments)
def test_sliding_box_follows_coulomb_friction_on_many_draws(args: dict) -> None:
    assume(not tips_over(args))
    check_box_against_coulomb(args)


@pytest.mark.parametrize(
    ("case", "argument_change"),
    [("high friction, pushed on the flat", (0.0, 1.5, 2.0)), ("resting on a 55° slope", (55.0, 1.6, 0.0))],
)
def test_a_cube_that_would_tip_over_is_refused_in_words(case: str, argument_change: tuple) -> None:
    angle, mu, v0 = argument_change
    outcome = get_tool(BOX).call(
        {
            "incline_angle_deg": angle,
            "friction_coefficient": mu,
            "box_size_m": 0.2,
            "mass_kg": 1.0,
            "initial_speed_m_per_s": v0,
            "duration_s": 1.0,
        }
    )
    assert not outcome.ok and ("tips over" in outcome.error or "topples" in outcome.error), case


def test_the_issue_cases_stop_where_coulomb_says_and_stay_put() -> None:
    # 30°, pushed up at 2 m/s: mu = 0.7 and 0.9 both exceed tan 30°, so the box must stop and stay
    for mu, stop in [(0.7, 0.1843), (0.9, 0.1593)]:
        out = simulate_sliding_box(30.0, mu, 0.2, 1.0, 2.0, 2.0)
        assert out["max"]["position_along_slope_m"] == pytest.approx(stop, rel=0.001)
        assert out["final"]["position_along_slope_m"] == pytest.approx(stop, rel=0.001)
        assert out["events"]["at_rest_from_time_s"] is not None


def test_a_slow_push_gets_a_finer_step_than_the_default() -> None:
    out = simulate_sliding_box(0.0, 1.0, 0.2, 1.0, 0.05, 0.1, gravity_m_per_s2=50.0)
    assert out["timestep_s"] < 1e-3
    assert out["max"]["position_along_slope_m"] == pytest.approx(0.05**2 / (2 * 1.0 * 50.0), rel=0.01)


def test_tool_error_is_a_tool_error() -> None:
    with pytest.raises(ToolError):
        simulate_sliding_box(0.0, 1.5, 0.2, 1.0, 2.0, 1.0)


PENDULUM, DOUBLE = "simulate_pendulum", "simulate_double_pendulum"
pendulum_arguments = st.fixed_dictionaries(
    {
        "length_m": schema_floats(PENDULUM, "length_m"),
        "bob_mass_kg": schema_floats(PENDULUM, "bob_mass_kg"),
        "initial_angle_deg": schema_floats(PENDULUM, "initial_angle_deg"),
        "duration_s": schema_floats(PENDULUM, "duration_s"),
        "initial_angular_velocity_deg_per_s": schema_floats(PENDULUM, "initial_angular_velocity_deg_per_s"),
        "gravity_m_per_s2": schema_floats(PENDULUM, "gravity_m_per_s2"),
    }
)
double_arguments = st.fixed_dictionaries(
    {
        name: schema_floats(DOUBLE, name)
        for name in (
            "upper_length_m",
            "lower_length_m",
            "upper_mass_kg",
            "lower_mass_kg",
            "upper_initial_angle_deg",
            "lower_initial_angle_deg",
            "duration_s",
            "upper_initial_angular_velocity_deg_per_s",
            "lower_initial_angular_velocity_deg_per_s",
            "gravity_m_per_s2",
        )
    }
)


def energy_scale(out: dict, masses: float, lengths: float, g: float) -> float:
    """The energy the swing can exchange: its starting energy or m g L, whichever is larger."""
    return max(out["samples"]["mechanical_energy_J"][0], masses * g * lengths)


def check_energy_is_conserved(tool: str, args: dict, masses: float, lengths: float) -> None:
    outcome = get_tool(tool).call(args)
    if not outcome.ok:  # only a run too stiff for the step budget may be refused, and it says how to fix it
        assert "too stiff" in outcome.error and "duration_s at most" in outcome.error, outcome.error
        return
    out = outcome.value
    energy = out["samples"]["mechanical_energy_J"]
    scale = energy_scale(out, masses, lengths, args["gravity_m_per_s2"])
    assert max(abs(e - energy[0]) for e in energy) <= 1e-4 * scale
    assert out["timestep_s"] <= 1e-3


@FAST
@given(pendulum_arguments)
def test_a_frictionless_pendulum_conserves_energy_over_its_whole_range(args: dict) -> None:
    check_energy_is_conserved(PENDULUM, args, args["bob_mass_kg"], args["length_m"])


@FAST
@given(double_arguments)
def test_a_frictionless_double_pendulum_conserves_energy_over_its_whole_range(args: dict) -> None:
    masses = args["upper_mass_kg"] + args["lower_mass_kg"]
    check_energy_is_conserved(DOUBLE, args, masses, args["upper_length_m"] + args["lower_length_m"])


@pytest.mark.slow
@THOROUGH
@given(pendulum_arguments, double_arguments)
def test_both_pendulums_conserve_energy_on_many_draws(single: dict, double: dict) -> None:
    check_energy_is_conserved(PENDULUM, single, single["bob_mass_kg"], single["length_m"])
    masses = double["upper_mass_kg"] + double["lower_mass_kg"]
    check_energy_is_conserved(DOUBLE, double, masses, double["upper_length_m"] + double["lower_length_m"])


def test_a_short_fast_pendulum_gets_a_finer_step_and_keeps_its_energy() -> None:
    out = get_tool(PENDULUM).fn(0.01, 1.0, 170.0, 2.0, 3000.0, gravity_m_per_s2=50.0)
    assert out["timestep_s"] < 1e-3
    energy = out["samples"]["mechanical_energy_J"]
    assert max(energy) - min(energy) < 1e-5 * energy[0]


def small_swing(theta0: float, w0: float, gamma: float, omega0: float, t: float) -> tuple[float, float]:
    """Angle and angular velocity of theta'' + 2 gamma theta' + omega0^2 theta = 0 at t: under-, critically or
    overdamped, from the roots r = -gamma +- sqrt(gamma^2 - omega0^2) (written so that equal roots do not cancel)."""
    root = np.sqrt(complex(gamma * gamma - omega0 * omega0))
    slow, fast = -gamma + root, -gamma - root
    gap = slow - fast
    # (e^{slow t} - e^{fast t}) / gap = e^{slow t} * span, with no overflow however fast the fast root decays
    span = -np.expm1(-gap * t) / gap if abs(gap * t) > 1e-8 else t * (1 - gap * t / 2)
    b = w0 - fast * theta0
    theta = theta0 * np.exp(fast * t) + b * np.exp(slow * t) * span
    omega = fast * theta0 * np.exp(fast * t) + b * np.exp(slow * t) * (1 + fast * span)
    return float(theta.real), float(omega.real)


SMALL_RAD = 1e-3  # small enough that sin(theta) = theta holds to 2e-7 and the period shifts by 6e-8
small_pendulum_arguments = st.fixed_dictionaries(
    {
        name: schema_floats(PENDULUM, name)
        for name in ("length_m", "bob_mass_kg", "duration_s", "pivot_damping_n_m_s_per_rad", "gravity_m_per_s2")
    }
    | {"angle": st.floats(-1.0, 1.0), "spin": st.floats(-1.0, 1.0)}
)


def refused_as_too_stiff(outcome: object) -> bool:
    """A refusal must say what is wrong and which arguments work (never a silent wrong number)."""
    if outcome.ok:  # type: ignore[attr-defined]
        return False
    error = outcome.error  # type: ignore[attr-defined]
    assert "too stiff" in error and "duration_s at most" in error and "works" in error, error
    return True


def check_small_swing_against_the_damped_closed_form(draw: dict) -> None:
    length, g = draw["length_m"], draw["gravity_m_per_s2"]
    omega0 = math.sqrt(g / length)
    theta0, w0 = SMALL_RAD * draw["angle"], SMALL_RAD * draw["spin"] * omega0
    args = {k: v for k, v in draw.items() if k not in ("angle", "spin")} | {
        "initial_angle_deg": math.degrees(theta0),
        "initial_angular_velocity_deg_per_s": math.degrees(w0),
    }
    outcome = get_tool(PENDULUM).call(args)
    if refused_as_too_stiff(outcome):
        return
    out = outcome.value
    inertia = args["bob_mass_kg"] * length**2
    gamma = args["pivot_damping_n_m_s_per_rad"] / (2 * inertia)
    theta, omega = small_swing(theta0, w0, gamma, omega0, args["duration_s"])
    # 1e-3 of the swing's size (measured: 1.2e-4 at worst on 150 seeded draws, 5 digits are printed)
    size = max(abs(theta0), abs(w0) / omega0) + 1e-300
    assert math.radians(out["final"]["angle_deg"]) == pytest.approx(theta, abs=1e-3 * size)
    assert math.radians(out["final"]["angular_velocity_deg_per_s"]) == pytest.approx(omega, abs=1e-3 * size * omega0)
    if gamma > 0:  # the step follows the damping: at most half the damping time I / c
        assert out["timestep_s"] <= 0.5 / (2 * gamma) * 1.0001


@FAST
@given(small_pendulum_arguments)
def test_a_small_swing_follows_the_damped_closed_form_over_the_whole_range(draw: dict) -> None:
    check_small_swing_against_the_damped_closed_form(draw)


@pytest.mark.slow
@THOROUGH
@given(small_pendulum_arguments)
def test_a_small_swing_follows_the_damped_closed_form_on_many_draws(draw: dict) -> None:
    check_small_swing_against_the_damped_closed_form(draw)


@pytest.mark.parametrize(
    ("regime", "damping"),
    [("underdamped", 0.02), ("critically damped", 2 * math.sqrt(9.81)), ("overdamped", 60.0)],
)
def test_a_heavily_damped_small_swing_decays_as_the_closed_form_says(regime: str, damping: float) -> None:
    # 1 kg on 1 m: I = 1 kg m^2, so gamma = c / 2 and omega0 = sqrt(g); 60 N m s/rad creeps back over minutes
    theta0 = 1e-3
    out = get_tool(PENDULUM).fn(1.0, 1.0, math.degrees(theta0), 3.0, pivot_damping_n_m_s_per_rad=damping)
    theta, _ = small_swing(theta0, 0.0, damping / 2, math.sqrt(9.81), 3.0)
    assert math.radians(out["final"]["angle_deg"]) == pytest.approx(theta, rel=1e-3, abs=1e-9), regime


def linearised_double(args: dict, t: float) -> tuple[float, float]:
    """Absolute angles of a small double-pendulum swing at t: exp(A t) of the linearised damped equations.

    Coordinates are the shoulder angle and the elbow angle relative to the upper rod (each hinge damped by c).
    """
    l1, l2 = args["upper_length_m"], args["lower_length_m"]
    m1, m2, c, g = (
        args["upper_mass_kg"],
        args["lower_mass_kg"],
        args["joint_damping_n_m_s_per_rad"],
        args["gravity_m_per_s2"],
    )
    mass = np.array(
        [[(m1 + m2) * l1**2 + m2 * l2**2 + 2 * m2 * l1 * l2, m2 * l2 * (l1 + l2)], [m2 * l2 * (l1 + l2), m2 * l2**2]]
    )
    stiffness = g * np.array([[(m1 + m2) * l1 + m2 * l2, m2 * l2], [m2 * l2, m2 * l2]])
    inverse = np.linalg.inv(mass)
    system = np.block([[np.zeros((2, 2)), np.eye(2)], [-inverse @ stiffness, -c * inverse]])
    th1, th2 = math.radians(args["upper_initial_angle_deg"]), math.radians(args["lower_initial_angle_deg"])
    w1 = math.radians(args["upper_initial_angular_velocity_deg_per_s"])
    w2 = math.radians(args["lower_initial_angular_velocity_deg_per_s"])
    q1, q2, _, _ = expm(system * t) @ np.array([th1, th2 - th1, w1, w2 - w1])
    return float(q1), float(q1 + q2)


SMALL_DOUBLE_RAD = 1e-6  # a light upper bob's fast mode is nonlinear already at 1e-3 rad
small_double_arguments = st.fixed_dictionaries(
    {
        name: schema_floats(DOUBLE, name)
        for name in (
            "upper_length_m",
            "lower_length_m",
            "upper_mass_kg",
            "lower_mass_kg",
            "duration_s",
            "joint_damping_n_m_s_per_rad",
            "gravity_m_per_s2",
        )
    }
    | {"angles": st.tuples(*[st.floats(-1.0, 1.0)] * 4)}
)


def check_small_double_swing_against_the_linearised_solution(draw: dict) -> None:
    a1, a2, s1, s2 = draw.pop("angles")
    rate = math.sqrt(draw["gravity_m_per_s2"] / min(draw["upper_length_m"], draw["lower_length_m"]))
    args = draw | {
        "upper_initial_angle_deg": math.degrees(SMALL_DOUBLE_RAD * a1),
        "lower_initial_angle_deg": math.degrees(SMALL_DOUBLE_RAD * a2),
        "upper_initial_angular_velocity_deg_per_s": math.degrees(SMALL_DOUBLE_RAD * s1 * rate),
        "lower_initial_angular_velocity_deg_per_s": math.degrees(SMALL_DOUBLE_RAD * s2 * rate),
    }
    outcome = get_tool(DOUBLE).call(args)
    if refused_as_too_stiff(outcome):
        return
    upper, lower = linearised_double(args, args["duration_s"])
    size = SMALL_DOUBLE_RAD * max(abs(a1), abs(a2), abs(s1), abs(s2), 1e-6)
    # 1 % of the swing's size (measured: 0.16 % at worst on 80 seeded draws, 30 s of a 1 cm rod's fast mode)
    assert math.radians(outcome.value["final"]["upper_angle_deg"]) == pytest.approx(upper, abs=0.01 * size)
    assert math.radians(outcome.value["final"]["lower_angle_deg"]) == pytest.approx(lower, abs=0.01 * size)


@FAST
@given(small_double_arguments)
def test_a_small_double_swing_follows_the_linearised_solution_over_the_whole_range(draw: dict) -> None:
    check_small_double_swing_against_the_linearised_solution(draw)


@pytest.mark.slow
@THOROUGH
@given(small_double_arguments)
def test_a_small_double_swing_follows_the_linearised_solution_on_many_draws(draw: dict) -> None:
    check_small_double_swing_against_the_linearised_solution(draw)


def test_a_heavy_bob_on_a_short_rod_under_a_light_one_gets_a_step_for_its_fast_mode() -> None:
    # 288 kg on 3.8 cm under 0.275 kg on 24.7 m: the light bob oscillates at 1064 rad/s; the old estimate of the
    # fastest mode said 53 rad/s, and its 0.38 ms step put the lower angle 0.36 of the swing off after 12.5 s
    args = {"upper_length_m": 24.7, "lower_length_m": 0.0382, "upper_mass_kg": 0.275, "lower_mass_kg": 288.0}
    args |= {"upper_initial_angle_deg": math.degrees(1e-6), "lower_initial_angle_deg": -math.degrees(1e-6)}
    args |= {"upper_initial_angular_velocity_deg_per_s": 0.0, "lower_initial_angular_velocity_deg_per_s": 0.0}
    args |= {"duration_s": 2.0, "joint_damping_n_m_s_per_rad": 0.0, "gravity_m_per_s2": 41.2}
    out = get_tool(DOUBLE).fn(**args)
    assert out["timestep_s"] <= 1 / (50 * 1064)
    _, lower = linearised_double(args, 2.0)
    assert math.radians(out["final"]["lower_angle_deg"]) == pytest.approx(lower, abs=0.01e-6)


STIFF_PENDULUMS = [
    (
        PENDULUM,
        {"length_m": 0.1, "bob_mass_kg": 0.01, "initial_angle_deg": 30.0, "duration_s": 30.0}
        | {"pivot_damping_n_m_s_per_rad": 1.0},
        "pivot_damping_n_m_s_per_rad",
    ),
    (
        DOUBLE,
        {"upper_length_m": 1.0, "lower_length_m": 1.0, "upper_mass_kg": 0.001, "lower_mass_kg": 1000.0}
        | {"upper_initial_angle_deg": 30.0, "lower_initial_angle_deg": 30.0, "duration_s": 30.0},
        "upper_mass_kg",
    ),
    (
        DOUBLE,
        {"upper_length_m": 0.1, "lower_length_m": 0.1, "upper_mass_kg": 0.01, "lower_mass_kg": 0.01}
        | {"upper_initial_angle_deg": 30.0, "lower_initial_angle_deg": 30.0, "duration_s": 30.0}
        | {"joint_damping_n_m_s_per_rad": 100.0},
        "joint_damping_n_m_s_per_rad",
    ),
]


@pytest.mark.parametrize(("tool", "args", "fix"), STIFF_PENDULUMS)
def test_a_pendulum_too_stiff_for_the_step_limit_is_refused_with_a_fix_in_words(
    tool: str, args: dict, fix: str
) -> None:
    outcome = get_tool(tool).call(args)
    assert not outcome.ok and f"this {tool.removeprefix('simulate_').replace('_', ' ')} is too stiff" in outcome.error
    assert "the run would take" in outcome.error and "200000-step limit" in outcome.error
    assert f"{fix} at " in outcome.error and "duration_s at most" in outcome.error


@pytest.mark.slow
@pytest.mark.parametrize(("tool", "args", "fix"), STIFF_PENDULUMS)
def test_the_fixes_a_stiff_pendulum_refusal_names_do_work(tool: str, args: dict, fix: str) -> None:
    # each named value sits at the step limit, so each of these runs takes close to 200,000 steps
    error = get_tool(tool).call(args).error
    value = float(error.split(f"{fix} at ")[1].split()[1].rstrip(",;"))
    longest = float(error.split("duration_s at most ")[1])
    assert get_tool(tool).call(args | {fix: value}).ok
    assert get_tool(tool).call(args | {"duration_s": longest}).ok


COLLISION, BOUNCE = "simulate_sphere_collision", "simulate_bouncing_ball"
collision_arguments = st.fixed_dictionaries(
    {
        name: schema_floats(COLLISION, name)
        for name in get_tool(COLLISION).parameters["properties"]
        if name not in ("timestep_s", "n_samples")
    }
)


def check_collision_invariants(args: dict) -> None:
    outcome = get_tool(COLLISION).call({**args, "n_samples": 2})
    if not outcome.ok:  # overlapping starts and runs past the step limit are refused in words
        assert "overlap" in outcome.error or "steps" in outcome.error, outcome.error
        return
    start, end = (
        {k: v[i] for k, v in outcome.value["samples"].items()} for i in (0, -1)
    )  # the frictionless table conserves momentum; impacts with e <= 1 never add energy
    m1, m2 = args["sphere1_mass_kg"], args["sphere2_mass_kg"]
    for axis in ("vx", "vy"):
        before = m1 * start[f"sphere1_{axis}_m_per_s"] + m2 * start[f"sphere2_{axis}_m_per_s"]
        after = m1 * end[f"sphere1_{axis}_m_per_s"] + m2 * end[f"sphere2_{axis}_m_per_s"]
        scale = m1 * (abs(args["sphere1_velocity_x_m_per_s"]) + abs(args["sphere1_velocity_y_m_per_s"])) + m2 * (
            abs(args["sphere2_velocity_x_m_per_s"]) + abs(args["sphere2_velocity_y_m_per_s"])
        )
        assert after == pytest.approx(before, abs=1e-4 * scale + 1e-9)
    assert end["kinetic_energy_J"] <= start["kinetic_energy_J"] * 1.001 + 1e-12


@FAST
@given(collision_arguments)
def test_sphere_collisions_conserve_momentum_and_never_gain_energy(args: dict) -> None:
    check_collision_invariants(args)


def test_a_head_on_collision_drawn_across_the_range_follows_newtons_law() -> None:
    # a heavy fast sphere into a light slow one, e = 0.3: approach 30 m/s, masses 1000 : 0.01
    out = get_tool(COLLISION).fn(0.5, 1000.0, -5.0, 0.0, 20.0, 0.0, 0.05, 0.01, 0.0, 0.0, -10.0, 0.0, 0.5, 0.3)
    separation = out["final"]["sphere2_vx_m_per_s"] - out["final"]["sphere1_vx_m_per_s"]
    assert separation == pytest.approx(0.3 * 30.0, rel=0.01)
    assert out["impact_timestep_s"] < out["timestep_s"]


bounce_arguments = st.fixed_dictionaries(
    {
        "radius_m": schema_floats(BOUNCE, "radius_m"),
        "mass_kg": schema_floats(BOUNCE, "mass_kg"),
        "initial_velocity_x_m_per_s": schema_floats(BOUNCE, "initial_velocity_x_m_per_s"),
        "initial_velocity_z_m_per_s": schema_floats(BOUNCE, "initial_velocity_z_m_per_s"),
        "duration_s": st.floats(0.1, 3.0),  # a refined solve costs a finer step over the whole run
        "initial_height_m": schema_floats(BOUNCE, "initial_height_m"),
        "restitution": schema_floats(BOUNCE, "restitution"),
        "friction_coefficient": schema_floats(BOUNCE, "friction_coefficient"),
        "drag_coefficient_kg_per_m": schema_floats(BOUNCE, "drag_coefficient_kg_per_m"),
        "gravity_m_per_s2": schema_floats(BOUNCE, "gravity_m_per_s2"),
    }
)


def check_bounce_against_a_refined_solve(args: dict) -> None:
    fn = get_tool(BOUNCE).fn
    outcome = get_tool(BOUNCE).call(args)
    if not outcome.ok:  # drag too strong for the step to follow (a light ball in thick air) is refused in words
        assert "air drag" in outcome.error and "drag_coefficient_kg_per_m" in outcome.error, outcome.error
        return
    base = outcome.value
    fine = fn(**args, timestep_s=base["timestep_s"] / 4)
    # the first landing and the first rebound decide every later event: they must agree with a 4x finer solve
    shown = min(len(base["events"]["landing_times_s"]), len(fine["events"]["landing_times_s"]))
    for key, scale in (("landing_times_s", args["duration_s"]), ("max_height_after_each_landing_m", None)):
        for a, b in list(zip(base["events"][key], fine["events"][key], strict=False))[: min(shown, 1)]:
            assert a == pytest.approx(b, rel=0.01, abs=0.002 * (scale or abs(b)) + 1e-3 * (scale is None))


@pytest.mark.slow
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], **_SETTINGS)
@given(bounce_arguments)
def test_bounces_agree_with_a_four_times_finer_solve(args: dict) -> None:
    check_bounce_against_a_refined_solve(args)


@FAST
@given(bounce_arguments)
def test_a_few_bounces_agree_with_a_four_times_finer_solve(args: dict) -> None:
    check_bounce_against_a_refined_solve(args)


ROLL = "simulate_rolling_ball"
rolling_arguments = st.fixed_dictionaries(
    {
        name: schema_floats(ROLL, name)
        for name in (
            "radius_m",
            "mass_kg",
            "friction_coefficient",
            "initial_velocity_m_per_s",
            "initial_spin_rad_per_s",
            "duration_s",
            "gravity_m_per_s2",
        )
    }
)


def check_rolling_against_the_closed_form(args: dict) -> None:
    out = get_tool(ROLL).fn(**args)
    radius, mu, g = args["radius_m"], args["friction_coefficient"], args["gravity_m_per_s2"]
    v0, spin0, duration = args["initial_velocity_m_per_s"], args["initial_spin_rad_per_s"], args["duration_s"]
    slip0 = v0 - radius * spin0
    # without drag the angular momentum about the contact point is conserved: v ends at (5 v0 + 2 R w0) / 7
    # once friction (slip falling at 3.5 mu g) has ended the slip
    deceleration = 3.5 * mu * g  # 0 when a denormal friction underflows: then it never stops slipping
    slipping = abs(slip0) / deceleration if deceleration > 0 else math.inf
    scale = abs(v0) + radius * abs(spin0) + 1e-3
    if slipping < duration:
        assert out["final"]["velocity_m_per_s"] == pytest.approx((5 * v0 + 2 * radius * spin0) / 7, abs=1e-3 * scale)
        if abs(slip0) > REST_SPEED_M_PER_S:
            rolls = (abs(slip0) - REST_SPEED_M_PER_S) / deceleration
            assert out["events"]["rolling_without_slipping_from_time_s"] == pytest.approx(
                rolls, rel=0.01, abs=2 * out["timestep_s"]
            )
    else:
        direction = math.copysign(1.0, slip0)
        expected = v0 - direction * mu * g * duration
        assert out["final"]["velocity_m_per_s"] == pytest.approx(expected, abs=1e-3 * scale + 1e-3)


@FAST
@given(rolling_arguments)
def test_a_sliding_ball_ends_rolling_where_angular_momentum_says(args: dict) -> None:
    check_rolling_against_the_closed_form(args)


@pytest.mark.slow
@THOROUGH
@given(rolling_arguments)
def test_a_sliding_ball_ends_rolling_where_angular_momentum_says_on_many_draws(args: dict) -> None:
    check_rolling_against_the_closed_form(args)


def test_a_vehicle_that_rolls_over_is_refused_in_words() -> None:
    # 1.8 m wheels on a 38 cm axle in a hard turn: the chassis rolls over within three seconds
    outcome = get_tool("simulate_diff_drive_vehicle").call(
        {
            "left_wheel_speed_rad_per_s": 12.458,
            "right_wheel_speed_rad_per_s": 2.418,
            "wheel_radius_m": 0.918,
            "track_width_m": 0.383,
            "chassis_mass_kg": 10.0,
            "duration_s": 3.0,
            "friction_coefficient": 1.74,
        }
    )
    assert not outcome.ok and "tips over" in outcome.error and "wider track" in outcome.error


VEHICLE = "simulate_diff_drive_vehicle"
vehicle_arguments = st.fixed_dictionaries(
    {
        name: schema_floats(VEHICLE, name)
        for name in get_tool(VEHICLE).parameters["properties"]
        if name not in ("timestep_s", "n_samples", "duration_s")
    }
    | {"duration_s": st.floats(1e-3, 3.0)}  # a refined solve costs a finer step over the whole run
)
VEHICLE_REFUSALS = ("tips over", "skid", "does not converge", "steps")


def drive(args: dict, **extra: float) -> dict | None:
    """The vehicle's result, or None when it is refused in words (rolling over, skidding, too long)."""
    outcome = get_tool(VEHICLE).call({**args, **extra})
    if not outcome.ok:
        assert any(reason in outcome.error for reason in VEHICLE_REFUSALS), outcome.error
        return None
    return outcome.value


def check_vehicle_rolls_without_slipping(args: dict) -> None:
    out = drive(args)
    if out is None:
        return
    final, radius = out["final"], args["wheel_radius_m"]
    # wheels that roll without slipping: the chassis moves at the mean rim speed of its actual wheel speeds
    rolling = radius * (final["left_wheel_speed_rad_per_s"] + final["right_wheel_speed_rad_per_s"]) / 2
    assert final["forward_speed_m_per_s"] == pytest.approx(rolling, rel=0.02, abs=0.01)
    assert out["timestep_s"] <= 5e-4
    if args["friction_coefficient"] == 0:  # no grip, no drive
        assert final["distance_travelled_m"] == pytest.approx(0.0, abs=1e-3)


def check_vehicle_against_a_refined_solve(args: dict) -> None:
    base = drive(args)
    fine = drive(args, timestep_s=1e-4) if base is not None else None
    if base is None or fine is None:
        return
    travelled = fine["final"]["distance_travelled_m"]
    moved = math.hypot(base["final"]["x_m"] - fine["final"]["x_m"], base["final"]["y_m"] - fine["final"]["y_m"])
    assert moved <= 0.01 * travelled + 2e-3
    turned = fine["max"]["heading_deg"] - fine["min"]["heading_deg"]
    assert base["final"]["heading_deg"] == pytest.approx(fine["final"]["heading_deg"], abs=0.01 * turned + 0.4)


@FAST
@given(vehicle_arguments)
def test_a_vehicle_rolls_without_slipping_over_its_whole_range(args: dict) -> None:
    check_vehicle_rolls_without_slipping(args)


@pytest.mark.slow
@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow], **_SETTINGS)
@given(vehicle_arguments)
def test_a_vehicle_agrees_with_a_finer_solve_on_many_draws(args: dict) -> None:
    check_vehicle_rolls_without_slipping(args)
    check_vehicle_against_a_refined_solve(args)


def test_a_vehicle_whose_turn_needs_more_grip_than_friction_gives_is_refused_in_words() -> None:
    # 2.2 m/s forward while turning at 2.1 rad/s asks for 4.7 m/s^2 sideways; the wheels, carrying 69 % of the
    # weight on friction 0.77, hold at most 5.2 m/s^2 and also have to turn the chassis about its centre of mass
    outcome = get_tool(VEHICLE).call(
        {
            "left_wheel_speed_rad_per_s": 9.1,
            "right_wheel_speed_rad_per_s": 14.2,
            "wheel_radius_m": 0.19,
            "track_width_m": 0.46,
            "chassis_mass_kg": 9.2,
            "duration_s": 2.5,
            "friction_coefficient": 0.77,
        }
    )
    assert not outcome.ok and "skid" in outcome.error and "gentler turn" in outcome.error


def test_a_vehicle_without_friction_stays_where_it_is() -> None:
    out = get_tool(VEHICLE).fn(10.0, 10.0, 0.1, 0.5, 2.0, 1.0, friction_coefficient=0.0)
    assert out["final"]["distance_travelled_m"] == pytest.approx(0.0, abs=1e-6)
    assert out["final"]["left_wheel_speed_rad_per_s"] == pytest.approx(0.0, abs=1e-4)


def test_air_drag_too_strong_for_the_step_is_refused_in_words() -> None:
    # a 1 g ball thrown at 88 m/s into drag 8.5 kg/m would be slowed within a microsecond: the 0.5 ms step cannot
    # follow that, and MuJoCo's run blew up (the derandomized slow draw that used to fail)
    outcome = get_tool(BOUNCE).call(
        {
            "radius_m": 0.1,
            "mass_kg": 0.001,
            "initial_velocity_x_m_per_s": -67.8,
            "initial_velocity_z_m_per_s": 54.5,
            "duration_s": 0.95,
            "initial_height_m": 54.5,
            "drag_coefficient_kg_per_m": 8.47,
            "gravity_m_per_s2": 1.1,
        }
    )
    assert not outcome.ok and "air drag" in outcome.error and "heavier ball" in outcome.error
