"""Questions about a differential-drive vehicle with velocity-servoed wheels."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from toolwise.tasks.mujoco.template import (
    Params,
    Results,
    duration_sentence,
    family,
    final,
    fmt,
    gravity_sentence,
    maximum,
    round_to,
)

TOOL = "simulate_diff_drive_vehicle"


def _drive(rng: np.random.Generator, turning: bool = False) -> Params | None:
    left = round_to(rng.uniform(-4.0, 10.0), 1)
    right = round_to(left + rng.uniform(-6.0, 6.0), 1) if turning or rng.random() < 0.85 else left
    if max(abs(left), abs(right)) < 1.0 or (turning and abs(left - right) < 1.0):
        return None
    scene = {
        "left_wheel_speed_rad_per_s": left,
        "right_wheel_speed_rad_per_s": right,
        "wheel_radius_m": round_to(rng.uniform(0.05, 0.2), 2),
        "track_width_m": round_to(rng.uniform(0.2, 0.8), 2),
        "chassis_mass_kg": round_to(rng.uniform(1.0, 10.0), 1),
        "friction_coefficient": round_to(rng.uniform(0.5, 1.2), 2),
        "gravity_m_per_s2": 9.81,
        "duration_s": round_to(rng.uniform(2.0, 6.0), 1),
    }
    return {"scene": scene}


def _question(ask: str) -> Callable[[Params], str]:
    def question(params: Params) -> str:
        a = params["scene"]
        return (
            f"A two-wheeled differential-drive robot has wheels of radius {fmt(a['wheel_radius_m'])} m whose ground "
            f"contact points are {fmt(a['track_width_m'])} m apart, a chassis of mass {fmt(a['chassis_mass_kg'])} kg "
            "(each wheel weighs 5% of that) and a frictionless rear caster. It starts at rest at the origin facing "
            "+x, with its left wheel on the +y side. From t = 0 its wheel velocity servos are commanded to "
            f"{fmt(a['left_wheel_speed_rad_per_s'])} rad/s (left) and {fmt(a['right_wheel_speed_rad_per_s'])} rad/s "
            "(right), positive driving forward; their torque is capped at 0.25 × friction coefficient × total weight "
            "× wheel radius, so the wheels do not skid. The friction coefficient between wheels and ground is "
            f"{fmt(a['friction_coefficient'])}. {gravity_sentence(a['gravity_m_per_s2'])} Heading is measured in "
            "degrees counter-clockwise from +x (seen from above) and is not wrapped. Positions are those of the "
            f"chassis origin, midway between the wheel centres. {duration_sentence(a['duration_s'])}\n\n{ask}"
        )

    return question


def _sample(rng: np.random.Generator) -> Params | None:
    return _drive(rng)


def _sample_turning(rng: np.random.Generator) -> Params | None:
    return _drive(rng, turning=True)


def _ideal_travel(params: Params, results: Results) -> float:
    a = params["scene"]
    speed = a["wheel_radius_m"] * (abs(a["left_wheel_speed_rad_per_s"]) + abs(a["right_wheel_speed_rad_per_s"])) / 2
    return speed * a["duration_s"]


def _ideal_turn_deg(params: Params, results: Results) -> float:
    a = params["scene"]
    turn = a["wheel_radius_m"] * (a["right_wheel_speed_rad_per_s"] - a["left_wheel_speed_rad_per_s"])
    return max(abs(57.29578 * turn / a["track_width_m"] * a["duration_s"]), 20.0)


def _physics(params: Params) -> str:
    a = params["scene"]
    r, left, right = a["wheel_radius_m"], a["left_wheel_speed_rad_per_s"], a["right_wheel_speed_rad_per_s"]
    speed = r * (left + right) / 2
    turn = math.degrees(r * (right - left) / a["track_width_m"])
    text = (
        f"Once its wheels are up to speed the robot moves at v = r(ωL + ωR)/2 = {speed:.3g} m/s and turns at "
        f"r(ωR − ωL)/w = {turn:.3g}°/s, about {abs(speed) * a['duration_s']:.3g} m and {turn * a['duration_s']:.3g}° "
        f"in {fmt(a['duration_s'])} s"
    )
    if abs(turn) > 1e-9:
        text += f", along a circle of radius v/ω = {abs(speed / math.radians(turn)):.3g} m"
    return text + "."


vehicle_template = family(TOOL, _sample_turning, _physics)

TEMPLATES = [
    vehicle_template(
        name="vehicle_final_heading",
        question=_question("What is the robot's heading, in degrees, at the end of the simulation?"),
        value=final("heading_deg"),
        fact="the heading at the end of the run (deg)",
        positive=False,
        scale=_ideal_turn_deg,
    ),
    vehicle_template(
        name="vehicle_final_x",
        sample=_sample,
        question=_question("What is the robot's x position, in metres, at the end of the simulation?"),
        value=final("x_m"),
        fact="the x position at the end of the run (m)",
        positive=False,
        scale=_ideal_travel,
    ),
    vehicle_template(
        name="vehicle_final_y",
        question=_question("What is the robot's y position, in metres, at the end of the simulation?"),
        value=final("y_m"),
        fact="the y position at the end of the run (m)",
        positive=False,
        scale=_ideal_travel,
    ),
    vehicle_template(
        name="vehicle_distance_travelled",
        sample=_sample,
        question=_question("What is the length of the path the robot's chassis origin travels, in metres?"),
        value=final("distance_travelled_m"),
        fact="the length of the path travelled (m)",
        positive=True,
    ),
    vehicle_template(
        name="vehicle_max_distance_from_start",
        question=_question(
            "What is the greatest straight-line distance, in metres, between the robot and its starting point "
            "during the simulation?"
        ),
        value=maximum("distance_from_start_m"),
        fact="the greatest distance from the start (m)",
        positive=True,
    ),
]
