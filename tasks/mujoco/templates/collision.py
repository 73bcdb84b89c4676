"""Questions about two spheres colliding on a frictionless table."""

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
    round_to,
)

TOOL = "simulate_sphere_collision"


def _pair(rng: np.random.Generator, oblique: bool | None = None) -> Params | None:
    r1, r2 = round_to(rng.uniform(0.05, 0.2), 2), round_to(rng.uniform(0.05, 0.2), 2)
    oblique = bool(rng.random() < 0.4) if oblique is None else oblique
    offset = round_to(rng.uniform(0.25, 0.7) * (r1 + r2) * rng.choice([-1, 1]), 2) if oblique else 0.0
    u1 = round_to(rng.uniform(1.0, 5.0), 1)
    u2 = round_to(rng.uniform(-2.0, 1.0), 1) if rng.random() < 0.5 else 0.0
    x1 = round_to(rng.uniform(-2.0, -0.8), 2)
    closing = u1 - u2
    gap = abs(x1) - math.sqrt(max((r1 + r2) ** 2 - offset**2, 0.0))
    if closing < 0.5 or gap <= 0.05:
        return None
    scene = {
        "sphere1_radius_m": r1,
        "sphere1_mass_kg": round_to(rng.uniform(0.2, 3.0), 2),
        "sphere1_x_m": x1,
        "sphere1_y_m": offset,
        "sphere1_velocity_x_m_per_s": u1,
        "sphere1_velocity_y_m_per_s": 0.0,
        "sphere2_radius_m": r2,
        "sphere2_mass_kg": round_to(rng.uniform(0.2, 3.0), 2),
        "sphere2_x_m": 0.0,
        "sphere2_y_m": 0.0,
        "sphere2_velocity_x_m_per_s": u2,
        "sphere2_velocity_y_m_per_s": 0.0,
        "restitution": 1.0 if rng.random() < 0.25 else round_to(rng.uniform(0.3, 0.95), 2),
        "duration_s": round_to(gap / closing + rng.uniform(0.5, 2.0), 1),
    }
    return {"scene": scene}


def _question(ask: str) -> Callable[[Params], str]:
    def question(params: Params) -> str:
        a = params["scene"]

        def sphere(i: int) -> str:
            return (
                f"sphere {i} (radius {fmt(a[f'sphere{i}_radius_m'])} m, mass {fmt(a[f'sphere{i}_mass_kg'])} kg) "
                f"starts with its centre at ({fmt(a[f'sphere{i}_x_m'])}, {fmt(a[f'sphere{i}_y_m'])}) m and velocity "
                f"({fmt(a[f'sphere{i}_velocity_x_m_per_s'])}, {fmt(a[f'sphere{i}_velocity_y_m_per_s'])}) m/s"
            )

        e = a["restitution"]
        impact = "perfectly elastic" if e == 1 else f"has a coefficient of restitution of {fmt(e)}"
        return (
            "Two solid spheres glide without friction on a horizontal table; positions and velocities are (x, y) "
            f"in the table's plane. S{sphere(1)[1:]}; {sphere(2)}. Their impact is frictionless (no spin "
            f"is exchanged) and {impact}. {duration_sentence(a['duration_s'])}\n\n{ask}"
        )

    return question


def _speed_scale(params: Params, results: Results) -> float:
    a = params["scene"]
    return max(abs(a["sphere1_velocity_x_m_per_s"]), abs(a["sphere2_velocity_x_m_per_s"]))


def _energy_lost_percent(params: Params, results: Results) -> float | None:
    energy = results[0]["samples"]["kinetic_energy_J"]
    lost = 100.0 * (1.0 - energy[-1] / energy[0])
    return lost if lost >= 3.0 else None


def _direction_deg(params: Params, results: Results) -> float | None:
    f = results[0]["final"]
    angle = math.degrees(math.atan2(f["sphere2_vy_m_per_s"], f["sphere2_vx_m_per_s"]))
    return angle if abs(angle) <= 120 else None  # options near ±180° would wrap


def _physics(params: Params) -> str:
    a = params["scene"]
    m1, m2, e = a["sphere1_mass_kg"], a["sphere2_mass_kg"], a["restitution"]
    u1, u2 = a["sphere1_velocity_x_m_per_s"], a["sphere2_velocity_x_m_per_s"]
    reach = math.sqrt(max((a["sphere1_radius_m"] + a["sphere2_radius_m"]) ** 2 - a["sphere1_y_m"] ** 2, 0.0))
    gap = abs(a["sphere1_x_m"] - a["sphere2_x_m"]) - reach
    text = (
        f"The spheres close at u1 − u2 = {u1 - u2:.3g} m/s over a gap of {gap:.3g} m, so they touch at "
        f"t = {gap / (u1 - u2):.3g} s"
    )
    if a["sphere1_y_m"] != 0:
        return text + (
            "; the impulse acts along the line of centres, which momentum conservation and restitution "
            f"e = {fmt(e)} govern, and sphere 2 leaves along that line."
        )
    p = m1 * u1 + m2 * u2
    v1, v2 = (p - m2 * e * (u1 - u2)) / (m1 + m2), (p + m1 * e * (u1 - u2)) / (m1 + m2)
    return text + (
        f"; momentum m1u1 + m2u2 = {p:.3g} kg·m/s and restitution e = {fmt(e)} give v1 = {v1:.3g} m/s and "
        f"v2 = {v2:.3g} m/s after the head-on impact."
    )


def _sample(rng: np.random.Generator) -> Params | None:
    return _pair(rng)


def _sample_inelastic(rng: np.random.Generator) -> Params | None:
    params = _pair(rng)
    return params if params and params["scene"]["restitution"] < 1 else None


def _sample_oblique(rng: np.random.Generator) -> Params | None:
    return _pair(rng, oblique=True)


collision_template = family(TOOL, _sample, _physics)

TEMPLATES = [
    collision_template(
        name="collision_final_vx1",
        question=_question("What is the x-velocity of sphere 1, in m/s, at the end of the simulation?"),
        value=final("sphere1_vx_m_per_s"),
        fact="sphere 1's x-velocity at the end of the run (m/s)",
        positive=False,
        scale=_speed_scale,
    ),
    collision_template(
        name="collision_final_x2",
        question=_question("What is the x coordinate of sphere 2's centre, in metres, at the end of the simulation?"),
        value=final("sphere2_x_m"),
        fact="sphere 2's x at the end of the run (m)",
        positive=False,
        scale=lambda params, results: _speed_scale(params, results) * params["scene"]["duration_s"],
    ),
    collision_template(
        name="collision_contact_time",
        question=_question("At what time, in seconds, do the two spheres first touch?"),
        value=event("first_contact_time_s"),
        fact="the time the spheres first touch (s)",
        positive=True,
    ),
    collision_template(
        name="collision_energy_lost_percent",
        sample=_sample_inelastic,
        question=_question(
            "What percentage of the spheres' total initial kinetic energy has been lost by the end of the "
            "simulation, i.e. 100 × (KE_start − KE_end) / KE_start?"
        ),
        value=_energy_lost_percent,
        fact="the percentage of kinetic energy lost",
        positive=True,
    ),
    collision_template(
        name="collision_direction_of_sphere2",
        sample=_sample_oblique,
        question=_question(
            "At the end of the simulation, in what direction does sphere 2 move, as the angle of its velocity in "
            "degrees measured counter-clockwise from the +x axis (between −180° and 180°)?"
        ),
        value=_direction_deg,
        fact="the direction of sphere 2's velocity at the end (deg from +x)",
        positive=False,
        scale=lambda params, results: 30.0,
    ),
]
