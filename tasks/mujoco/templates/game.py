"""Questions about knocking a box off a post with a thrown ball."""

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
    fmt,
    gravity_sentence,
    round_to,
)

TOOL = "simulate_ball_hits_box_on_post"
POST_RADIUS_M = 0.1  # fixed by the tool


def _shot(rng: np.random.Generator) -> Params:
    g = 9.81
    distance = round_to(rng.uniform(2.0, 6.0), 1)
    height = round_to(rng.uniform(0.5, 3.0), 1)
    box = round_to(rng.uniform(0.15, 0.5), 2)
    radius = round_to(rng.uniform(0.05, 0.15), 2)
    vx = round_to(rng.uniform(3.0, 9.0), 1)
    # aim the ball's centre at a point on the box's near face (drag-free parabola); rounding keeps it close
    x_hit = distance - box / 2 - radius
    z_hit = height + rng.uniform(0.2, 0.8) * box - radius
    t_hit = x_hit / vx
    vz = round_to((z_hit + 0.5 * g * t_hit**2) / t_hit, 2)
    scene = {
        "post_distance_m": distance,
        "post_height_m": height,
        "box_size_m": box,
        "box_mass_kg": round_to(rng.uniform(0.2, 2.0), 1),
        "ball_radius_m": radius,
        "ball_mass_kg": round_to(rng.uniform(0.5, 3.0), 1),
        "ball_velocity_x_m_per_s": vx,
        "ball_velocity_z_m_per_s": vz,
        "restitution": round_to(rng.uniform(0.3, 0.8), 2),
        "friction_coefficient": round_to(rng.uniform(0.3, 0.8), 2),
        "drag_coefficient_kg_per_m": 0.0,
        "gravity_m_per_s2": g,
        "duration_s": round_to(t_hit + rng.uniform(1.2, 2.5), 1),
    }
    return {"scene": scene}


def _question(ask: str) -> Callable[[Params], str]:
    def question(params: Params) -> str:
        a = params["scene"]
        return (
            f"A fixed upright cylindrical post of radius {POST_RADIUS_M} m and height {fmt(a['post_height_m'])} m "
            f"stands on flat horizontal ground with its axis at x = {fmt(a['post_distance_m'])} m. A solid cube of "
            f"edge {fmt(a['box_size_m'])} m and mass {fmt(a['box_mass_kg'])} kg rests centred on its flat top. A "
            f"solid ball of radius {fmt(a['ball_radius_m'])} m and mass {fmt(a['ball_mass_kg'])} kg starts on the "
            f"ground at x = 0 and is thrown toward the post with a horizontal velocity of "
            f"{fmt(a['ball_velocity_x_m_per_s'])} m/s and a vertical velocity of {fmt(a['ball_velocity_z_m_per_s'])} "
            f"m/s (upward). {gravity_sentence(a['gravity_m_per_s2'])} Every impact has a coefficient of restitution "
            f"of {fmt(a['restitution'])} and every contact a friction coefficient of "
            f"{fmt(a['friction_coefficient'])}; there is no air resistance. Heights are those of centres. "
            f"{duration_sentence(a['duration_s'])}\n\n{ask}"
        )

    return question


def _knocked_off(key: str) -> Callable[[Params, Results], float | None]:
    def value(params: Params, results: Results) -> float | None:
        events = results[0]["events"]
        return events[key] if events["box_touches_ground_time_s"] is not None else None

    return value


def _landing_beyond_post(params: Params, results: Results) -> float | None:
    x = results[0]["events"]["box_x_when_touching_ground_m"]
    beyond = None if x is None else x - params["scene"]["post_distance_m"]
    return beyond if beyond is not None and beyond > 0.1 else None


def _physics(params: Params) -> str:
    a = params["scene"]
    g, vx, height = a["gravity_m_per_s2"], a["ball_velocity_x_m_per_s"], a["post_height_m"]
    face = a["post_distance_m"] - a["box_size_m"] / 2 - a["ball_radius_m"]
    return (
        f"With no drag the ball keeps vx = {fmt(vx)} m/s, so its centre reaches the box's near face "
        f"(x = {face:.3g} m) after about {face / vx:.3g} s; a box knocked off the {fmt(height)} m post then falls "
        f"to the ground in about √(2h/g) = {math.sqrt(2 * height / g):.3g} s."
    )


game_template = family(TOOL, _shot, _physics)

TEMPLATES = [
    game_template(
        name="game_box_falls_below_top_time",
        question=_question(
            "The ball knocks the box off the post. At what time, in seconds, does the box's centre first drop below "
            "the top of the post?"
        ),
        value=_knocked_off("box_below_post_top_time_s"),
        fact="the time the box's centre first drops below the post's top (s)",
        positive=True,
    ),
    game_template(
        name="game_box_hits_ground_time",
        question=_question(
            "The ball knocks the box off the post. At what time, in seconds, does the box first touch the ground?"
        ),
        value=_knocked_off("box_touches_ground_time_s"),
        fact="the time the box first touches the ground (s)",
        positive=True,
    ),
    game_template(
        name="game_box_landing_distance",
        question=_question(
            "The ball knocks the box off the post. When the box first touches the ground, how far beyond the post's "
            "axis is the box's centre (its x minus the post's x), in metres?"
        ),
        value=_landing_beyond_post,
        fact="the box centre's x beyond the post's axis when it first touches the ground (m)",
        positive=True,
    ),
    game_template(
        name="game_ball_reaches_box_time",
        question=_question("At what time, in seconds, does the ball first touch the box?"),
        value=event("ball_first_touches_box_time_s"),
        fact="the time the ball first touches the box (s)",
        positive=True,
    ),
]
