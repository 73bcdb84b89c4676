"""Questions about a simple pendulum and a double pendulum."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from toolwise.tasks.mujoco.template import (
    Params,
    Results,
    Template,
    duration_sentence,
    event,
    family,
    final,
    fmt,
    gravity_sentence,
    maximum,
    pick_gravity,
    round_to,
)

SINGLE = "simulate_pendulum"
DOUBLE = "simulate_double_pendulum"
ANGLES = (
    "Angles are measured from the downward vertical in degrees, positive when the bob is on the +x side of its "
    "pivot, and are not wrapped."
)


def _pendulum(rng: np.random.Generator, damped: bool | None = None) -> dict:
    mass = round_to(rng.uniform(0.1, 3.0), 2)
    length = round_to(rng.uniform(0.3, 2.5), 2)
    damped = bool(rng.random() < 0.5) if damped is None else damped
    return {
        "length_m": length,
        "bob_mass_kg": mass,
        "initial_angle_deg": round_to(rng.choice([-1, 1]) * rng.uniform(8.0, 80.0), 1),
        "initial_angular_velocity_deg_per_s": round_to(rng.uniform(-60, 60), 0) if rng.random() < 0.4 else 0.0,
        # amplitude decays at rate b / (2 m L^2): 0.02-0.15 per second
        "pivot_damping_n_m_s_per_rad": round_to(rng.uniform(0.04, 0.3) * mass * length**2, 3) if damped else 0.0,
        "gravity_m_per_s2": pick_gravity(rng),
        "duration_s": round_to(rng.uniform(1.0, 8.0), 1),
    }


def _describe_pendulum(args: dict, label: str = "A simple pendulum") -> str:
    damping = args["pivot_damping_n_m_s_per_rad"]
    pivot = (
        "The pivot is frictionless."
        if damping == 0
        else f"The pivot exerts a viscous damping torque of -{fmt(damping)} N·m·s/rad times the angular velocity."
    )
    w0 = args["initial_angular_velocity_deg_per_s"]
    start = "from rest" if w0 == 0 else f"with an angular velocity of {fmt(w0)} °/s"
    return (
        f"{label} consists of a point mass of {fmt(args['bob_mass_kg'])} kg on a massless rigid rod of length "
        f"{fmt(args['length_m'])} m, swinging in a vertical plane. {gravity_sentence(args['gravity_m_per_s2'])} "
        f"{pivot} It is released at an angle of {fmt(args['initial_angle_deg'])}° {start}."
    )


def _single_question(ask: str) -> Callable[[Params], str]:
    def question(params: Params) -> str:
        args = params["scene"]
        return f"{_describe_pendulum(args)} {ANGLES} {duration_sentence(args['duration_s'])}\n\n{ask}"

    return question


def _amplitude(params: Params, results: Results) -> float:
    return max(abs(results[0]["max"]["angle_deg"]), abs(results[0]["min"]["angle_deg"]))


def _peak_angular_speed(params: Params, results: Results) -> float:
    return max(
        abs(results[0]["max"]["angular_velocity_deg_per_s"]), abs(results[0]["min"]["angular_velocity_deg_per_s"])
    )


def _energy_lost_percent(params: Params, results: Results) -> float | None:
    energy = results[0]["samples"]["mechanical_energy_J"]
    lost = 100.0 * (1.0 - energy[-1] / energy[0])
    return lost if lost >= 5.0 else None


def _sample_damped(rng: np.random.Generator) -> Params:
    return {"scene": _pendulum(rng, damped=True)}


def _sample_pair(rng: np.random.Generator) -> Params:
    a = _pendulum(rng, damped=False)
    a["initial_angular_velocity_deg_per_s"] = 0.0
    b = dict(a, length_m=round_to(a["length_m"] * rng.uniform(0.4, 0.85), 2))
    first, second = (a, b) if rng.random() < 0.5 else (b, a)
    return {"scene_a": first, "scene_b": second}


def _pair_question(params: Params) -> str:
    a, b = params["scene_a"], params["scene_b"]
    return (
        f"Two simple pendulums, A and B, each consist of a point mass of {fmt(a['bob_mass_kg'])} kg on a massless "
        f"rigid rod with a frictionless pivot. {gravity_sentence(a['gravity_m_per_s2'])} Pendulum A's rod is "
        f"{fmt(a['length_m'])} m long and pendulum B's is {fmt(b['length_m'])} m long. Both are released from rest "
        f"at {fmt(a['initial_angle_deg'])}° from the downward vertical and each is simulated for "
        f"{fmt(a['duration_s'])} s.\n\nHow much later (in seconds) does pendulum A's rod first pass the downward "
        "vertical than pendulum B's? (A negative answer means A passes it first.)"
    )


def _pair_delay(params: Params, results: Results) -> float | None:
    ta = results[0]["events"]["first_vertical_passage_time_s"]
    tb = results[1]["events"]["first_vertical_passage_time_s"]
    return None if ta is None or tb is None else ta - tb


def _double_pendulum(rng: np.random.Generator) -> dict:
    return {
        "upper_length_m": round_to(rng.uniform(0.5, 1.5), 2),
        "lower_length_m": round_to(rng.uniform(0.5, 1.5), 2),
        "upper_mass_kg": round_to(rng.uniform(0.2, 2.0), 2),
        "lower_mass_kg": round_to(rng.uniform(0.2, 2.0), 2),
        "upper_initial_angle_deg": round_to(rng.choice([-1, 1]) * rng.uniform(10.0, 50.0), 1),
        "lower_initial_angle_deg": round_to(rng.uniform(-60.0, 60.0), 1),
        "upper_initial_angular_velocity_deg_per_s": 0.0,
        "lower_initial_angular_velocity_deg_per_s": 0.0,
        "joint_damping_n_m_s_per_rad": round_to(rng.uniform(0.0, 0.05), 3) if rng.random() < 0.3 else 0.0,
        "gravity_m_per_s2": pick_gravity(rng),
        "duration_s": round_to(rng.uniform(1.0, 4.0), 1),
    }


def _double_question(ask: str) -> Callable[[Params], str]:
    def question(params: Params) -> str:
        a = params["scene"]
        damping = a["joint_damping_n_m_s_per_rad"]
        joints = (
            "Both joints are frictionless."
            if damping == 0
            else f"Each joint exerts a viscous damping torque of -{fmt(damping)} N·m·s/rad times its relative "
            "angular velocity."
        )
        return (
            f"A double pendulum hangs from a fixed pivot: an upper massless rigid rod of length "
            f"{fmt(a['upper_length_m'])} m carries a point mass of {fmt(a['upper_mass_kg'])} kg, from which a lower "
            f"massless rigid rod of length {fmt(a['lower_length_m'])} m carries a point mass of "
            f"{fmt(a['lower_mass_kg'])} kg; it swings in a vertical plane. {gravity_sentence(a['gravity_m_per_s2'])} "
            f"{joints} Each rod's angle is measured from the downward vertical (absolute, not relative to the other "
            "rod) in degrees, positive when its lower end is on the +x side of its upper end, and is not wrapped. "
            f"It is released from rest with the upper rod at {fmt(a['upper_initial_angle_deg'])}° and the lower rod "
            f"at {fmt(a['lower_initial_angle_deg'])}°. {duration_sentence(a['duration_s'])}\n\n{ask}"
        )

    return question


def _sample_double(rng: np.random.Generator) -> Params:
    return {"scene": _double_pendulum(rng)}


def _sample_single(rng: np.random.Generator) -> Params:
    return {"scene": _pendulum(rng)}


def _double_amplitude(key: str) -> Callable[[Params, Results], float]:
    return lambda params, results: max(abs(results[0]["max"][key]), abs(results[0]["min"][key]))


def _angle_range(key: str) -> Callable[[Params, Results], float]:
    return lambda params, results: results[0]["max"][key] - results[0]["min"][key]


def _period(length: float, g: float) -> float:
    return 2 * math.pi * math.sqrt(length / g)


def _single_physics(params: Params) -> str:
    a = params["scene"]
    length, g, damping = a["length_m"], a["gravity_m_per_s2"], a["pivot_damping_n_m_s_per_rad"]
    text = (
        f"A pendulum of length {fmt(length)} m under g = {fmt(g)} m/s² has small-angle period "
        f"2π√(L/g) = {_period(length, g):.3g} s, a little longer at a {abs(a['initial_angle_deg']):g}° swing"
    )
    if damping:
        text += f", and its swing decays at b/(2mL²) = {damping / (2 * a['bob_mass_kg'] * length**2):.3g} per second"
    return text + "."


def _pair_physics(params: Params) -> str:
    a, b = params["scene_a"], params["scene_b"]
    ta, tb = (_period(x["length_m"], x["gravity_m_per_s2"]) for x in (a, b))
    return (
        f"The small-angle periods 2π√(L/g) are {ta:.3g} s for A and {tb:.3g} s for B, and a pendulum released from "
        f"rest first passes the vertical after about a quarter period: (T_A − T_B)/4 ≈ {(ta - tb) / 4:.3g} s, a little "
        "more at a large swing."
    )


def _double_physics(params: Params) -> str:
    a = params["scene"]
    g = a["gravity_m_per_s2"]
    upper, lower = (_period(a[f"{rod}_length_m"], g) for rod in ("upper", "lower"))
    return (
        f"Alone, the rods would swing with periods 2π√(L/g) of {upper:.3g} s (upper) and {lower:.3g} s (lower), but "
        "the coupled double pendulum is chaotic and its motion has no closed form."
    )


single_template = family(SINGLE, _sample_single, _single_physics)
double_template = family(DOUBLE, _sample_double, _double_physics)

TEMPLATES = [
    single_template(
        name="pendulum_final_angle",
        question=_single_question("What is the pendulum's angle, in degrees, at the end of the simulation?"),
        value=final("angle_deg"),
        fact="the angle at the end of the run (deg)",
        positive=False,
        scale=_amplitude,
    ),
    single_template(
        name="pendulum_first_vertical_time",
        question=_single_question("How long after release, in seconds, does the rod first pass the downward vertical?"),
        value=event("first_vertical_passage_time_s"),
        fact="the time the rod first passes the downward vertical (s)",
        positive=True,
    ),
    single_template(
        name="pendulum_peak_angular_speed",
        question=_single_question(
            "What is the largest angular speed (magnitude of the angular velocity), in degrees per second, "
            "reached during the simulation?"
        ),
        value=_peak_angular_speed,
        fact="the largest angular speed over the run (deg/s)",
        positive=True,
    ),
    single_template(
        name="pendulum_energy_lost_percent",
        sample=_sample_damped,
        question=_single_question(
            "Take the mechanical energy as kinetic plus gravitational potential energy, with potential energy zero "
            "when the bob hangs at its lowest point. What percentage of its initial mechanical energy has the "
            "pendulum lost by the end of the simulation, i.e. 100 × (E_start − E_end) / E_start?"
        ),
        value=_energy_lost_percent,
        fact="the percentage of the initial mechanical energy lost by the end",
        positive=True,
    ),
    Template(
        name="pendulum_pair_vertical_delay",
        tool=SINGLE,
        sample=_sample_pair,
        question=_pair_question,
        value=_pair_delay,
        fact="A's first passage of the vertical minus B's (s)",
        positive=False,
        scale=lambda params, results: results[0]["events"]["first_vertical_passage_time_s"],
        physics=_pair_physics,
    ),
    double_template(
        name="double_pendulum_final_lower_angle",
        question=_double_question("What is the lower rod's angle, in degrees, at the end of the simulation?"),
        value=final("lower_angle_deg"),
        fact="the lower rod's angle at the end of the run (deg)",
        positive=False,
        scale=_double_amplitude("lower_angle_deg"),
    ),
    double_template(
        name="double_pendulum_max_upper_angle",
        question=_double_question(
            "What is the largest value the upper rod's angle takes during the simulation, in degrees?"
        ),
        value=maximum("upper_angle_deg"),
        fact="the largest upper-rod angle over the run (deg)",
        positive=False,
        scale=_double_amplitude("upper_angle_deg"),
    ),
    double_template(
        name="double_pendulum_lower_angle_range",
        question=_double_question(
            "Over the whole simulation, what is the range of the lower rod's angle (its largest value minus its "
            "smallest value), in degrees?"
        ),
        value=_angle_range("lower_angle_deg"),
        fact="the lower rod's largest minus smallest angle over the run (deg)",
        positive=True,
    ),
    double_template(
        name="double_pendulum_lower_first_vertical_time",
        question=_double_question("At what time, in seconds, does the lower rod first pass the downward vertical?"),
        value=event("lower_first_vertical_passage_time_s"),
        fact="the time the lower rod first passes the downward vertical (s)",
        positive=True,
    ),
    double_template(
        name="double_pendulum_final_lower_bob_x",
        question=_double_question(
            "What is the horizontal position (x, in metres, relative to the fixed pivot) of the lower point mass "
            "at the end of the simulation?"
        ),
        value=final("lower_bob_x_m"),
        fact="the lower mass's x relative to the pivot at the end of the run (m)",
        positive=False,
        scale=lambda params, results: params["scene"]["upper_length_m"] + params["scene"]["lower_length_m"],
    ),
]
