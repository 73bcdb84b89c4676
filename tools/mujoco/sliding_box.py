"""A box sliding on a flat plane or an incline with Coulomb friction."""

from __future__ import annotations

import math
from typing import Annotated

import mujoco
import numpy as np

from toolwise.tools import tool
from toolwise.tools.mujoco import _sim
from toolwise.tools.mujoco._contact import FRICTION_SOLREF
from toolwise.tools.mujoco._params import Duration, Friction, Gravity, Mass, SampleCount, Speed, Timestep, bounded

BOX_TIMESTEP_S = 0.001
REST_SPEED_M_PER_S = 0.01  # "at rest" means slower than 1 cm/s for the rest of the run

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
    coefficient for static and kinetic friction. Returns final values, max and min over every integration
    step, events (when the box is highest up the slope, and from when it stays slower than 1 cm/s) and the
    trajectory at n_samples evenly spaced times. The run covers exactly duration_s of physical time.

    Args:
        incline_angle_deg: angle of the incline above the horizontal in degrees (0 is a flat plane, at most 60).
        friction_coefficient: Coulomb friction coefficient between box and surface.
        box_size_m: edge length of the cube in metres.
        mass_kg: mass of the box in kg.
        initial_speed_m_per_s: initial velocity along the slope in m/s, positive up the slope, negative down.
        duration_s: simulated physical time in seconds (at most 30).
        gravity_m_per_s2: magnitude of gravitational acceleration in m/s^2.
        timestep_s: integration step in seconds (implicit-fast Euler); smaller is more accurate and slower.
        n_samples: number of evenly spaced trajectory samples to return, including t = 0 and the end.
    """
    theta = math.radians(incline_angle_deg)
    half = box_size_m / 2
    normal = np.array([math.sin(theta), 0.0, math.cos(theta)])  # the plane tilted about y descends toward +x
    up_slope = np.array([-math.cos(theta), 0.0, math.sin(theta)])
    centre = half * normal
    xml = f"""
<mujoco model="sliding_box">
  <option integrator="implicitfast" cone="elliptic" impratio="10" gravity="0 0 {-gravity_m_per_s2:.17g}"/>
  <default><geom solref="{FRICTION_SOLREF}" friction="{friction_coefficient:.17g} 0 0"/></default>
  <worldbody>
    <geom name="slope" type="plane" size="0 0 1" euler="0 {incline_angle_deg:.17g} 0"/>
    <body name="box" pos="{centre[0]:.17g} 0 {centre[2]:.17g}" euler="0 {incline_angle_deg:.17g} 0">
      <freejoint/>
      <geom name="box" type="box" size="{half:.17g} {half:.17g} {half:.17g}" mass="{mass_kg:.17g}"/>
    </body>
  </worldbody>
</mujoco>"""
    model = _sim.compile_model(xml)
    data = mujoco.MjData(model)
    data.qvel[0:3] = initial_speed_m_per_s * up_slope
    result = _sim.run(model, data, duration_s, timestep_s)

    position = (result.qpos[:, 0:3] - centre) @ up_slope
    velocity = result.qvel[:, 0:3] @ up_slope
    speed = np.linalg.norm(result.qvel[:, 0:3], axis=1)
    travelled = np.concatenate([[0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1]) * np.diff(result.time_s))])
    series = {
        "position_along_slope_m": position,
        "velocity_along_slope_m_per_s": velocity,
        "height_gain_m": result.qpos[:, 2] - centre[2],
        "speed_m_per_s": speed,
        "distance_travelled_m": travelled,
    }
    at_rest = rest_time(result.time_s, speed)
    events = {
        "highest_point_time_s": _sim.sig(result.time_s[int(np.argmax(position))]),
        "at_rest_from_time_s": None if at_rest is None else _sim.sig(at_rest),
    }
    extremes = ["position_along_slope_m", "velocity_along_slope_m_per_s", "height_gain_m", "speed_m_per_s"]
    return _sim.summary("sliding_box", result, series, extremes, events, n_samples)
