"""A box sliding on a flat plane or an incline with Coulomb friction.

A cube with friction coefficient mu <= 1 neither lifts off nor tips while it slides or rests (the normal force
moves forward by mu times the half edge to balance friction's moment, and stays under the base), so its motion
has one degree of freedom: a slide along the line of steepest slope, pressed onto the surface by m g cos(theta).
The scene is exactly that in MuJoCo: a slide joint whose dry friction (``frictionloss``) is mu m g cos(theta),
integrated with RK4. Free-body contacts were wrong here: MuJoCo's convex soft contact lifts a sliding box off the
plane in proportion to mu times its speed at practical steps, and the box rocked on its corners (issue 18).
Requests the model does not cover (a cube that would tip over) are refused with a ToolError.
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np

from toolwise.tools import ToolError, tool
from toolwise.tools.mujoco import _sim
from toolwise.tools.mujoco._params import Duration, Friction, Gravity, Mass, SampleCount, Speed, Timestep, bounded

BOX_TIMESTEP_S = 0.001
MIN_BOX_TIMESTEP_S = 1e-4
# the step is at most this fraction of the time the push takes to stop: RK4 is exact while the box slides at
# constant deceleration, and the soft friction that stops it acts over two steps, so stop distance, stop time
# and the time it comes to rest land within 0.5 % of Coulomb theory (docs/mujoco.md)
STOP_RESOLUTION = 0.005
REST_SPEED_M_PER_S = 0.01  # "at rest" means slower than 1 cm/s for the rest of the run
FRICTION_IMPEDANCE = 0.9999  # dry friction 99.99 % hard: a box held by friction creeps by micrometres per minute
MAX_TIPPING_FREE_FRICTION = 1.0  # a sliding cube tips forward once mu > half edge / half height = 1
MAX_TOPPLING_FREE_ANGLE_DEG = 45.0  # a cube resting on a steeper slope has its centre of mass beyond its edge

InclineDeg = Annotated[float, bounded(0.0, 60.0)]
BoxSize = Annotated[float, bounded(0.01, 5.0)]


def rest_time(time_s: np.ndarray, speed: np.ndarray, threshold: float = REST_SPEED_M_PER_S) -> float | None:
    """The time from which ``speed`` stays below ``threshold`` to the end of the run, or None."""
    moving = np.nonzero(speed >= threshold)[0]
    if len(moving) == 0:
        return 0.0
    last = int(moving[-1])
    if last == len(speed) - 1:
        return None
    a, b = speed[last] - threshold, speed[last + 1] - threshold
    return float(time_s[last] + a / (a - b) * (time_s[last + 1] - time_s[last]))


def stopping_deceleration(theta: float, mu: float, v0: float, g: float) -> float:
    """Deceleration of a push against Coulomb friction (m/s^2), or 0 when the push never slows to a stop."""
    if v0 > 0:
        return g * (math.sin(theta) + mu * math.cos(theta))
    if v0 < 0:
        return max(g * (mu * math.cos(theta) - math.sin(theta)), 0.0)
    return 0.0


def box_timestep(theta: float, mu: float, v0: float, g: float, duration_s: float, requested_s: float) -> float:
    """The step for this call: the requested one, refined so that a push is resolved while it stops."""
    deceleration = stopping_deceleration(theta, mu, v0, g)
    if deceleration == 0:
        return requested_s
    floor = max(MIN_BOX_TIMESTEP_S, duration_s / _sim.MAX_STEPS)
    return min(requested_s, max(STOP_RESOLUTION * abs(v0) / deceleration, floor))


def refuse_tipping(theta: float, mu: float, v0: float) -> None:
    """ToolError for the requests where a real cube tips or topples, which this scene does not model."""
    slides = v0 != 0 or math.tan(theta) > mu
    if slides and mu > MAX_TIPPING_FREE_FRICTION:
        raise ToolError(
            f"a sliding cube with friction_coefficient {mu:g} > 1 tips over its leading edge (friction's moment "
            "exceeds what the base can balance); this scene models sliding only: use a friction_coefficient of "
            "at most 1, or no push on a slope it can rest on"
        )
    if not slides and math.degrees(theta) > MAX_TOPPLING_FREE_ANGLE_DEG:
        raise ToolError(
            f"a cube resting on a {math.degrees(theta):g}° slope topples (its centre of mass is beyond its lower "
            "edge above 45°); this scene models sliding only: use an incline of at most 45° for a box held by "
            "friction"
        )


def turnaround_time(time_s: np.ndarray, velocity: np.ndarray, deceleration: float, step_s: float) -> float | None:
    """When a push up the slope stops: where the linearly falling velocity reaches zero, or None if it does not.

    Friction is exact Coulomb until the last two steps, where the soft dry friction takes over; the stop is
    extrapolated from the last steps of constant deceleration, so it is not delayed by that soft tail.
    """
    slow = np.nonzero(velocity <= 3 * deceleration * step_s)[0]
    if len(slow) == 0 or slow[0] < 2:
        return None
    j = int(slow[0])
    rate = (velocity[j - 2] - velocity[j - 1]) / (time_s[j - 1] - time_s[j - 2])
    return float(time_s[j - 1] + velocity[j - 1] / rate) if rate > 0 else None


@tool
def simulate_sliding_box(
    incline_angle_deg: InclineDeg,
    friction_coefficient: Friction,
    box_size_m: BoxSize,
    mass_kg: Mass,
    initial_speed_m_per_s: Speed,
    duration_s: Duration,
    gravity_m_per_s2: Gravity = 9.81,
    timestep_s: Timestep = BOX_TIMESTEP_S,
    n_samples: SampleCount = 11,
) -> dict:
    """Simulate a solid cube sliding straight up or down an incline (or along a flat plane) with MuJoCo.

    The cube starts resting flat on the surface at position 0 and is given an initial speed along the line of
    steepest slope; positions and velocities are measured along that line, positive UP the slope (on a flat
    plane, positive in the direction of the initial push when it is positive). Friction is Coulomb with one
    coefficient for static and kinetic friction; the cube stays flat on the surface (it neither lifts off nor
    tips for friction coefficients up to 1; a sliding cube with more friction, or one resting on a slope
    steeper than 45°, would tip over and is refused). Returns final values, max and min over every
    integration step, events (when the box is highest up the slope, and from when it stays slower than
    1 cm/s) and the trajectory at n_samples evenly spaced times. The run covers exactly duration_s of physical
    time; timestep_s in the result is the step used.

    Args:
        incline_angle_deg: angle of the incline above the horizontal in degrees (0 is a flat plane, at most 60).
        friction_coefficient: Coulomb friction coefficient between box and surface.
        box_size_m: edge length of the cube in metres.
        mass_kg: mass of the box in kg.
        initial_speed_m_per_s: initial velocity along the slope in m/s, positive up the slope, negative down.
        duration_s: simulated physical time in seconds (at most 30).
        gravity_m_per_s2: magnitude of gravitational acceleration in m/s^2.
        timestep_s: largest integration step in seconds (RK4); the tool takes a finer one when a slow push
            needs it to resolve the stop.
        n_samples: number of evenly spaced trajectory samples to return, including t = 0 and the end.
    """
    theta = math.radians(incline_angle_deg)
    mu, v0, g = friction_coefficient, initial_speed_m_per_s, gravity_m_per_s2
    refuse_tipping(theta, mu, v0)
    half = box_size_m / 2
    centre_z = half * math.cos(theta)
    dry_friction = mu * mass_kg * g * math.cos(theta)
    step = box_timestep(theta, mu, v0, g, duration_s, timestep_s)
    # the body frame is tilted with the slope: its -x axis points up the line of steepest slope
    impedance = f"{FRICTION_IMPEDANCE} {FRICTION_IMPEDANCE} 0.001 0.5 2"
    xml = f"""
<mujoco model="sliding_box">
  <option integrator="RK4" gravity="0 0 {-g:.17g}"/>
  <worldbody>
    <geom name="slope" type="plane" size="0 0 1" euler="0 {incline_angle_deg:.17g} 0" contype="0" conaffinity="0"/>
    <body name="box" pos="{half * math.sin(theta):.17g} 0 {centre_z:.17g}" euler="0 {incline_angle_deg:.17g} 0">
      <joint name="along_slope" type="slide" axis="-1 0 0" frictionloss="{dry_friction:.17g}"
             solreffriction="{2 * step:.17g} 1" solimpfriction="{impedance}"/>
      <geom name="box" type="box" size="{half:.17g} {half:.17g} {half:.17g}" mass="{mass_kg:.17g}"
            contype="0" conaffinity="0"/>
    </body>
  </worldbody>
</mujoco>"""
    model, data = _sim.compile_scene(xml)
    data.qvel[0] = v0
    result = _sim.run(model, data, duration_s, step)

    position, velocity = result.qpos[:, 0], result.qvel[:, 0]
    speed = np.abs(velocity)
    travelled = np.concatenate([[0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1]) * np.diff(result.time_s))])
    series = {
        "position_along_slope_m": position,
        "velocity_along_slope_m_per_s": velocity,
        "height_gain_m": position * math.sin(theta),
        "speed_m_per_s": speed,
        "distance_travelled_m": travelled,
    }
    highest = None
    if v0 > 0:
        highest = turnaround_time(result.time_s, velocity, stopping_deceleration(theta, mu, v0, g), step)
    if highest is None:
        highest = float(result.time_s[int(np.argmax(position))])
    at_rest = rest_time(result.time_s, speed)
    events = {
        "highest_point_time_s": _sim.sig(highest),
        "at_rest_from_time_s": None if at_rest is None else _sim.sig(at_rest),
    }
    extremes = ["position_along_slope_m", "velocity_along_slope_m_per_s", "height_gain_m", "speed_m_per_s"]
    return _sim.summary("sliding_box", result, series, extremes, events, n_samples)
