"""Questions about a thrown, bouncing ball and about a ball rolling with spin."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from toolwise.tasks.mujoco.template import (
    Params,
    Results,
    drag_sentence,
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

BOUNCE = "simulate_bouncing_ball"
ROLL = "simulate_rolling_ball"


def _drag_for_terminal_speed(mass: float, terminal_speed: float) -> float:
    """The quadratic drag coefficient giving ``terminal_speed`` in Earth gravity, to 3 significant digits."""
    return float(f"{mass * 9.81 / terminal_speed**2:.3g}")


def _throw(rng: np.random.Generator, drag: bool | None = None) -> dict:
    g = pick_gravity(rng)
    speed, angle = rng.uniform(2.0, 9.0), math.radians(rng.uniform(15.0, 75.0))
    mass = round_to(rng.uniform(0.1, 2.0), 2)
    height = 0.0 if rng.random() < 0.5 else round_to(rng.uniform(0.3, 3.0), 1)
    vx, vz = round_to(speed * math.cos(angle), 2), round_to(speed * math.sin(angle), 2)
    drag = bool(rng.random() < 0.4) if drag is None else drag
    first_landing = (vz + math.sqrt(vz * vz + 2 * g * height)) / g
    return {
        "radius_m": round_to(rng.uniform(0.05, 0.25), 2),
        "mass_kg": mass,
        "initial_velocity_x_m_per_s": vx,
        "initial_velocity_z_m_per_s": vz,
        "initial_height_m": height,
        "restitution": round_to(rng.uniform(0.5, 0.9), 2),
        "friction_coefficient": round_to(rng.uniform(0.2, 0.8), 2),
        "drag_coefficient_kg_per_m": _drag_for_terminal_speed(mass, rng.uniform(8.0, 25.0)) if drag else 0.0,
        "gravity_m_per_s2": g,
        # at most 6 s: low-gravity throws would otherwise ask for long, slow runs
        "duration_s": round_to(min(6.0, max(0.5, first_landing * rng.uniform(1.3, 3.0))), 1),
    }


def _describe_throw(a: dict, drag: bool = True) -> str:
    start = (
        "starting on the ground"
        if a["initial_height_m"] == 0
        else f"starting with its lowest point {fmt(a['initial_height_m'])} m above the ground"
    )
    text = (
        f"A solid ball of radius {fmt(a['radius_m'])} m and mass {fmt(a['mass_kg'])} kg is thrown from x = 0 over "
        f"flat horizontal ground, {start}, with a horizontal velocity of {fmt(a['initial_velocity_x_m_per_s'])} m/s "
        f"and a vertical velocity of {fmt(a['initial_velocity_z_m_per_s'])} m/s (upward). "
        f"{gravity_sentence(a['gravity_m_per_s2'])} Its bounces have a coefficient of restitution of "
        f"{fmt(a['restitution'])}, and the friction coefficient between ball and ground is "
        f"{fmt(a['friction_coefficient'])}."
    )
    return f"{text} {drag_sentence(a['drag_coefficient_kg_per_m'])}" if drag else text


def _throw_question(ask: str) -> Callable[[Params], str]:
    def question(params: Params) -> str:
        a = params["scene"]
        return f"{_describe_throw(a)} {duration_sentence(a['duration_s'])}\n\n{ask}"

    return question


def _landing(key: str, index: int = 0) -> Callable[[Params, Results], float | None]:
    def value(params: Params, results: Results) -> float | None:
        listed = results[index]["events"][key]
        return listed[0] if listed else None

    return value


def _rebound_height(params: Params, results: Results) -> float | None:
    events = results[0]["events"]
    return events["max_height_after_each_landing_m"][0] if events["landings"] >= 2 else None


def _sample_throw(rng: np.random.Generator) -> Params:
    return {"scene": _throw(rng)}


def _sample_drag_pair(rng: np.random.Generator) -> Params:
    dragged = _throw(rng, drag=True)
    return {"scene_a": dict(dragged, drag_coefficient_kg_per_m=0.0), "scene_b": dragged}


def _drag_pair_question(params: Params) -> str:
    a, b = params["scene_a"], params["scene_b"]
    return (
        f"{_describe_throw(a, drag=False)} The throw is simulated twice for {fmt(a['duration_s'])} s: once without "
        f"air resistance, and once with air drag of magnitude c·v² opposite to the ball's velocity, "
        f"c = {fmt(b['drag_coefficient_kg_per_m'])} kg/m.\n\nHow much closer to the start, in metres, does the "
        "ball first land with drag than without it (first landing x without drag minus with drag)?"
    )


def _drag_range_loss(params: Params, results: Results) -> float | None:
    free, dragged = _landing("landing_x_m", 0)(params, results), _landing("landing_x_m", 1)(params, results)
    return None if free is None or dragged is None or free - dragged <= 0 else free - dragged


def _spin_ball(rng: np.random.Generator, drag: bool | None = None) -> dict:
    radius = round_to(rng.uniform(0.05, 0.3), 2)
    mass = round_to(rng.uniform(0.1, 5.0), 2)
    speed = round_to(rng.uniform(1.0, 6.0), 1)
    drag = bool(rng.random() < 0.4) if drag is None else drag
    return {
        "radius_m": radius,
        "mass_kg": mass,
        "friction_coefficient": round_to(rng.uniform(0.1, 0.6), 2),
        "initial_velocity_m_per_s": speed,
        "initial_spin_rad_per_s": round_to(rng.uniform(-2.0, 2.0) * speed / radius, 1),
        "drag_coefficient_kg_per_m": _drag_for_terminal_speed(mass, rng.uniform(4.0, 12.0)) if drag else 0.0,
        "gravity_m_per_s2": pick_gravity(rng),
        "duration_s": round_to(rng.uniform(1.0, 5.0), 1),
    }


def _slipping(args: dict) -> bool:
    return abs(args["initial_velocity_m_per_s"] - args["radius_m"] * args["initial_spin_rad_per_s"]) >= 0.5


def _roll_question(ask: str) -> Callable[[Params], str]:
    def question(params: Params) -> str:
        a = params["scene"]
        spin = a["initial_spin_rad_per_s"]
        if spin == 0:
            spin_text = "no spin"
        elif spin > 0:
            spin_text = f"topspin of {fmt(spin)} rad/s"
        else:
            spin_text = f"backspin of {fmt(-spin)} rad/s (a spin of {fmt(spin)} rad/s)"
        return (
            f"A solid ball of radius {fmt(a['radius_m'])} m and mass {fmt(a['mass_kg'])} kg rests on flat horizontal "
            f"ground at x = 0 and is set moving along +x at {fmt(a['initial_velocity_m_per_s'])} m/s with "
            f"{spin_text}. Spin is counted positive for topspin: a ball rolling without slipping at velocity v has "
            f"spin v / radius. The friction coefficient between ball and ground is {fmt(a['friction_coefficient'])}, "
            f"and there is no rolling resistance. {gravity_sentence(a['gravity_m_per_s2'])} "
            f"{drag_sentence(a['drag_coefficient_kg_per_m'])} {duration_sentence(a['duration_s'])}\n\n{ask}"
        )

    return question


def _sample_roll(rng: np.random.Generator) -> Params:
    return {"scene": _spin_ball(rng)}


def _sample_slipping_roll(rng: np.random.Generator) -> Params | None:
    args = _spin_ball(rng)
    return {"scene": args} if _slipping(args) else None


def _sample_dragged_roll(rng: np.random.Generator) -> Params:
    return {"scene": _spin_ball(rng, drag=True)}


def _speed_change_percent(params: Params, results: Results) -> float:
    start = abs(params["scene"]["initial_velocity_m_per_s"])
    return 100.0 * (abs(results[0]["final"]["velocity_m_per_s"]) - start) / start


def _initial_speed(params: Params, results: Results) -> float:
    return params["scene"]["initial_velocity_m_per_s"]


def _throw_physics(params: Params) -> str:
    a = params.get("scene") or params["scene_a"]
    vx, vz = a["initial_velocity_x_m_per_s"], a["initial_velocity_z_m_per_s"]
    h, g = a["initial_height_m"], a["gravity_m_per_s2"]
    landing = (vz + math.sqrt(vz * vz + 2 * g * h)) / g
    text = (
        f"Without drag the ball flies on a parabola: its centre peaks at h + r + vz²/(2g) = "
        f"{h + a['radius_m'] + vz * vz / (2 * g):.3g} m and it first lands after (vz + √(vz² + 2gh))/g = "
        f"{landing:.3g} s, at x = vx·t = {vx * landing:.3g} m; each bounce keeps {fmt(a['restitution'])} of the "
        "vertical speed"
    )
    dragged = "scene_b" in params or a["drag_coefficient_kg_per_m"] > 0
    return text + (", and drag c·v² shortens every flight." if dragged else ".")


def _roll_physics(params: Params) -> str:
    a = params["scene"]
    v0, w0, r = a["initial_velocity_m_per_s"], a["initial_spin_rad_per_s"], a["radius_m"]
    mu, g = a["friction_coefficient"], a["gravity_m_per_s2"]
    rolling = (5 * v0 + 2 * r * w0) / 7
    slip = abs(v0 - r * w0)
    if slip < 1e-9:
        text = f"The ball already rolls without slipping (v = rω = {fmt(v0)} m/s), so friction does no work"
    else:
        text = (
            f"While the ball slips, friction μmg changes v − rω at (7/2)μg, so it slips for 2|v0 − rω0|/(7μg) = "
            f"{2 * slip / (7 * mu * g):.3g} s and then rolls at (5v0 + 2rω0)/7 = {rolling:.3g} m/s, spin "
            f"{rolling / r:.3g} rad/s"
        )
    return text + ("; drag c·v² then slows it further." if a["drag_coefficient_kg_per_m"] > 0 else ".")


throw_template = family(BOUNCE, _sample_throw, _throw_physics)
roll_template = family(ROLL, _sample_roll, _roll_physics)

TEMPLATES = [
    throw_template(
        name="ball_first_landing_time",
        question=_throw_question("At what time, in seconds, does the ball first land on the ground?"),
        value=_landing("landing_times_s"),
        fact="the time of the first landing (s)",
        positive=True,
    ),
    throw_template(
        name="ball_first_landing_x",
        question=_throw_question("At what horizontal position x, in metres, does the ball first land?"),
        value=_landing("landing_x_m"),
        fact="the x position of the first landing (m)",
        positive=True,
    ),
    throw_template(
        name="ball_max_height",
        question=_throw_question(
            "What is the greatest height of the ball's centre above the ground during the simulation, in metres?"
        ),
        value=maximum("z_m"),
        fact="the greatest height of the centre (m)",
        positive=True,
    ),
    throw_template(
        name="ball_rebound_height",
        question=_throw_question(
            "After its first bounce, how high does the ball's centre rise (its greatest height above the ground "
            "between the first and the second landing), in metres?"
        ),
        value=_rebound_height,
        fact="the greatest centre height between the first and second landings (m)",
        positive=True,
    ),
    throw_template(
        name="ball_final_x",
        question=_throw_question("What is the ball's horizontal position x, in metres, at the end of the simulation?"),
        value=final("x_m"),
        fact="the ball's x at the end of the run (m)",
        positive=True,
    ),
    throw_template(
        name="ball_drag_range_loss",
        sample=_sample_drag_pair,
        question=_drag_pair_question,
        value=_drag_range_loss,
        fact="the first landing x without drag minus with drag (m)",
        positive=True,
    ),
    roll_template(
        name="rolling_ball_final_velocity",
        question=_roll_question("What is the ball's velocity along x, in m/s, at the end of the simulation?"),
        value=final("velocity_m_per_s"),
        fact="the velocity at the end of the run (m/s)",
        positive=False,
        scale=_initial_speed,
    ),
    roll_template(
        name="rolling_ball_rolling_time",
        sample=_sample_slipping_roll,
        question=_roll_question(
            "At what time, in seconds, does the ball start rolling without slipping (the slip speed "
            "|v − radius × spin| first drops below 0.01 m/s)?"
        ),
        value=event("rolling_without_slipping_from_time_s"),
        fact="the time rolling without slipping begins (s)",
        positive=True,
    ),
    roll_template(
        name="rolling_ball_final_x",
        question=_roll_question("What is the ball's position x, in metres, at the end of the simulation?"),
        value=final("x_m"),
        fact="the position at the end of the run (m)",
        positive=False,
        scale=lambda params, results: params["scene"]["initial_velocity_m_per_s"] * params["scene"]["duration_s"],
    ),
    roll_template(
        name="rolling_ball_final_spin",
        sample=_sample_slipping_roll,
        question=_roll_question("What is the ball's spin, in rad/s, at the end of the simulation?"),
        value=final("spin_rad_per_s"),
        fact="the spin at the end of the run (rad/s)",
        positive=False,
        scale=lambda params, results: params["scene"]["initial_velocity_m_per_s"] / params["scene"]["radius_m"],
    ),
    roll_template(
        name="rolling_ball_speed_change_percent",
        sample=_sample_dragged_roll,
        question=_roll_question(
            "By what percentage does the ball's speed change from the start to the end of the simulation, "
            "i.e. 100 × (speed_end − speed_start) / speed_start (negative for a slowdown)?"
        ),
        value=_speed_change_percent,
        fact="the percentage change of the speed from start to end",
        positive=False,
        scale=lambda params, results: 20.0,
    ),
]
