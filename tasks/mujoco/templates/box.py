"""Questions about a box sliding on a flat plane or an incline with friction."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from toolwise.tasks.mujoco.template import (
    Params,
    Results,
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

TOOL = "simulate_sliding_box"


def _box(rng: np.random.Generator, flat: bool | None = None, up: bool | None = None) -> dict:
    flat = bool(rng.random() < 0.2) if flat is None else flat
    up = True if flat else (bool(rng.random() < 0.75) if up is None else up)
    speed = round_to(rng.uniform(0.5, 5.0), 1)
    return {
        "incline_angle_deg": 0.0 if flat else round_to(rng.uniform(5.0, 40.0), 0),
        "friction_coefficient": round_to(rng.uniform(0.1, 0.8), 2),
        "box_size_m": round_to(rng.uniform(0.1, 0.5), 2),
        "mass_kg": round_to(rng.uniform(0.5, 5.0), 1),
        "initial_speed_m_per_s": speed if up else -speed,
        "gravity_m_per_s2": pick_gravity(rng),
        "duration_s": round_to(rng.uniform(1.0, 4.0), 1),
    }


def _slides_back(args: dict) -> bool:
    return math.tan(math.radians(args["incline_angle_deg"])) > args["friction_coefficient"]


def _describe(a: dict, friction: str | None = None) -> str:
    angle = a["incline_angle_deg"]
    friction = friction or f"with a friction coefficient of {fmt(a['friction_coefficient'])} (static and kinetic)"
    v0 = a["initial_speed_m_per_s"]
    if angle == 0:
        surface = "a flat horizontal surface"
        push = f"a speed of {fmt(v0)} m/s along the surface"
        axis = "along the surface from the starting point, positive in the direction of the push"
    else:
        surface = f"a plane inclined at {fmt(angle)}° to the horizontal"
        push = f"a speed of {fmt(abs(v0))} m/s {'up' if v0 > 0 else 'down'} the line of steepest slope"
        axis = "along the line of steepest slope from the starting point, positive up the slope"
    return (
        f"A solid cube of edge {fmt(a['box_size_m'])} m and mass {fmt(a['mass_kg'])} kg rests flat on {surface}, "
        f"{friction}. {gravity_sentence(a['gravity_m_per_s2'])} At t = 0 it is given {push}. Positions are "
        f"measured {axis}."
    )


def _question(ask: str) -> Callable[[Params], str]:
    def question(params: Params) -> str:
        a = params["scene"]
        return f"{_describe(a)} {duration_sentence(a['duration_s'])}\n\n{ask}"

    return question


def _travel_scale(params: Params, results: Results) -> float:
    return max(results[0]["max"]["position_along_slope_m"], -results[0]["min"]["position_along_slope_m"])


def _sample(rng: np.random.Generator) -> Params:
    return {"scene": _box(rng)}


def _sample_up(rng: np.random.Generator) -> Params:
    return {"scene": _box(rng, up=True)}


def _sample_stopping(rng: np.random.Generator) -> Params | None:
    args = _box(rng, up=bool(rng.random() < 0.7))
    return None if _slides_back(args) else {"scene": args}


def _sample_sliding_back(rng: np.random.Generator) -> Params | None:
    args = _box(rng, flat=False, up=True)
    return {"scene": args} if _slides_back(args) else None


def _sample_friction_pair(rng: np.random.Generator) -> Params:
    a = _box(rng, up=True)
    b = dict(a, friction_coefficient=round_to(a["friction_coefficient"] * rng.uniform(0.3, 0.7), 2))
    first, second = (a, b) if rng.random() < 0.5 else (b, a)
    return {"scene_a": first, "scene_b": second}


def _pair_question(params: Params) -> str:
    a, b = params["scene_a"], params["scene_b"]
    friction = (
        f"with a friction coefficient of {fmt(a['friction_coefficient'])} for box A and "
        f"{fmt(b['friction_coefficient'])} for box B (static and kinetic)"
    )
    return (
        f"Two identical boxes, A and B, are set up alike except for friction. Each: {_describe(a, friction)} Each "
        f"is simulated for {fmt(a['duration_s'])} s.\n\nHow much farther, in metres, does box A get from its "
        "starting point in the push direction than box B (its greatest position minus B's greatest position; "
        "negative if B gets farther)?"
    )


def _turnaround_time(params: Params, results: Results) -> float | None:
    t = results[0]["events"]["highest_point_time_s"]
    return t if 0 < t < params["scene"]["duration_s"] - 0.2 else None  # it must really turn back in the run


def _pair_difference(params: Params, results: Results) -> float:
    return results[0]["max"]["position_along_slope_m"] - results[1]["max"]["position_along_slope_m"]


def _slide(a: dict) -> tuple[float, float]:
    """Deceleration of a box pushed up the slope (or along a flat surface), and the distance it stops in."""
    theta = math.radians(a["incline_angle_deg"])
    g, mu, v0 = a["gravity_m_per_s2"], a["friction_coefficient"], abs(a["initial_speed_m_per_s"])
    decel = g * (math.sin(theta) + mu * math.cos(theta))
    return decel, v0 * v0 / (2 * decel)


def _physics(params: Params) -> str:
    if "scene_a" in params:
        (da, xa), (db, xb) = _slide(params["scene_a"]), _slide(params["scene_b"])
        return (
            f"Going up, each box decelerates at g(sinθ + μcosθ): {da:.3g} m/s² for A and {db:.3g} m/s² for B, so "
            f"they stop after v0²/(2a) = {xa:.3g} m and {xb:.3g} m, a difference of {xa - xb:.3g} m."
        )
    a = params["scene"]
    theta = math.radians(a["incline_angle_deg"])
    g, mu, v0 = a["gravity_m_per_s2"], a["friction_coefficient"], a["initial_speed_m_per_s"]
    along = g * (math.sin(theta) - mu * math.cos(theta))  # down-slope acceleration once sliding down
    if v0 < 0:
        if along > 0:
            return f"Sliding down, the box speeds up at g(sinθ − μcosθ) = {along:.3g} m/s², since tanθ > μ."
        return (
            f"Sliding down, the box slows at g(μcosθ − sinθ) = {-along:.3g} m/s² and stops after "
            f"{-v0 / -along:.3g} s, {v0 * v0 / (-2 * along):.3g} m down the slope, where static friction holds it."
        )
    decel, distance = _slide(a)
    text = (
        f"The box decelerates at g(sinθ + μcosθ) = {decel:.3g} m/s², so it stops after v0/a = {v0 / decel:.3g} s "
        f"at v0²/(2a) = {distance:.3g} m"
    )
    if along > 0:
        return text + f"; since tanθ > μ it then slides back down at g(sinθ − μcosθ) = {along:.3g} m/s²."
    return text + "; since tanθ ≤ μ it then stays there."


box_template = family(TOOL, _sample, _physics)

TEMPLATES = [
    box_template(
        name="box_final_position",
        question=_question("What is the box's position, in metres, at the end of the simulation?"),
        value=final("position_along_slope_m"),
        fact="the position at the end of the run (m)",
        positive=False,
        scale=_travel_scale,
    ),
    box_template(
        name="box_farthest_up",
        sample=_sample_up,
        question=_question(
            "What is the greatest position the box reaches during the simulation, in metres (how far it gets in "
            "the direction of the push)?"
        ),
        value=maximum("position_along_slope_m"),
        fact="the greatest position reached (m)",
        positive=True,
    ),
    box_template(
        name="box_rest_time",
        sample=_sample_stopping,
        question=_question(
            "At what time, in seconds, does the box come to rest (its speed drops below 0.01 m/s and stays below "
            "it for the rest of the simulation)?"
        ),
        value=event("at_rest_from_time_s"),
        fact="the time from which the box stays slower than 0.01 m/s (s)",
        positive=True,
    ),
    box_template(
        name="box_turnaround_time",
        sample=_sample_sliding_back,
        question=_question(
            "The box slides up, stops momentarily and slides back down. At what time, in seconds, is it highest "
            "up the slope?"
        ),
        value=_turnaround_time,
        fact="the time the box is highest up the slope (s)",
        positive=True,
    ),
    box_template(
        name="box_friction_pair_difference",
        sample=_sample_friction_pair,
        question=_pair_question,
        value=_pair_difference,
        fact="box A's greatest position minus box B's (m)",
        positive=False,
        scale=lambda params, results: max(
            results[0]["max"]["position_along_slope_m"], results[1]["max"]["position_along_slope_m"]
        ),
    ),
]
