"""Pendulum scenes: a simple pendulum and a double pendulum, point masses on massless rigid rods.

Angles are measured from the downward vertical, in degrees, positive when the bob is on the +x side of the
pivot; they are not wrapped, so a pendulum that goes over the top keeps counting (e.g. 370°). Positions are
relative to the pivot (z up, so a hanging bob has z = -length). Mechanical energy is kinetic plus potential,
with potential zero when every bob hangs at its lowest point.
"""

from __future__ import annotations

import math
from typing import Annotated

import mujoco
import numpy as np

from toolwise.tools import ToolError, tool
from toolwise.tools.mujoco import _sim
from toolwise.tools.mujoco._params import (
    AngleDeg,
    AngularSpeedDeg,
    Damping,
    Duration,
    Gravity,
    Mass,
    SampleCount,
    Timestep,
    bounded,
)

PENDULUM_TIMESTEP_S = 0.001  # RK4: smooth dynamics, no contacts
# RK4 turning each rod by at most 1/50 rad per step keeps energy within 1e-4 over a whipping 30 s run: the step is refined per
# call from the fastest rotation the arguments allow (a short rod or a hard spin), never coarsened
STEPS_PER_RADIAN = 50

RodLength = Annotated[float, bounded(0.01, 100.0)]


def swing_timestep(requested_s: float, fastest_rad_per_s: float, duration_s: float) -> float:
    """The requested step, refined so no rod turns more than 1/STEPS_PER_RADIAN rad in one step."""
    needed = 1.0 / (STEPS_PER_RADIAN * fastest_rad_per_s)
    if needed >= requested_s:
        return requested_s  # the caller's step is the finer one; _sim.run enforces the step limit for it
    step = needed
    if duration_s / step > _sim.MAX_STEPS:
        longest = _sim.MAX_STEPS * step
        raise ToolError(
            f"these rods can turn at up to {fastest_rad_per_s:.4g} rad/s, which needs steps of {step:.3g} s; "
            f"{duration_s:g} s is more than the {_sim.MAX_STEPS}-step limit: shorten duration_s to at most "
            f"{longest:.3g} s"
        )
    return step


def _double_pendulum_fastest_rate(
    l1: float, l2: float, m1: float, m2: float, w1: float, w2: float, th1: float, th2: float, g: float
) -> float:
    """A bound on either rod's angular speed: kinetic energy never exceeds the initial mechanical energy."""
    kinetic = 0.5 * m1 * (l1 * w1) ** 2 + 0.5 * m2 * (
        (l1 * w1) ** 2 + (l2 * w2) ** 2 + 2 * l1 * l2 * w1 * w2 * math.cos(th1 - th2)
    )
    energy = kinetic + (m1 + m2) * g * l1 * (1 - math.cos(th1)) + m2 * g * l2 * (1 - math.cos(th2))
    upper = math.sqrt(2 * energy / m1) / l1  # the upper bob's speed is bounded by the whole energy
    lower = (math.sqrt(2 * energy / m2) + l1 * upper) / l2
    # small swings oscillate at the normal-mode rates, the fastest about sqrt(g (m1 + m2) / (m1 l1)) + g / l2
    modes = math.sqrt(g * (m1 + m2) / (m1 * l1) + g / l2)
    return max(upper, lower, modes)


def _point_mass(mass: float, length: float) -> str:
    # the bob is a point mass at the rod's end; a tiny rotational inertia keeps the body valid in MuJoCo
    tiny = 1e-8 * mass * max(length, 1.0) ** 2  # above MuJoCo's 1e-15 floor for a 1 g bob on a 1 cm rod
    return f'<inertial pos="0 0 {-length:.17g}" mass="{mass:.17g}" diaginertia="{tiny:.17g} {tiny:.17g} {tiny:.17g}"/>'


def _crossings(time_s: np.ndarray, angle_deg: np.ndarray) -> tuple[np.ndarray, float | None]:
    """Times the rod passes the downward vertical, and the mean period from alternate crossings."""
    times = _sim.crossing_times(time_s, angle_deg)
    period = float(np.mean(times[2:] - times[:-2])) if len(times) >= 3 else None
    return times, period


@tool
def simulate_pendulum(
    length_m: RodLength,
    bob_mass_kg: Mass,
    initial_angle_deg: AngleDeg,
    duration_s: Duration,
    initial_angular_velocity_deg_per_s: AngularSpeedDeg = 0.0,
    pivot_damping_n_m_s_per_rad: Damping = 0.0,
    gravity_m_per_s2: Gravity = 9.81,
    timestep_s: Timestep = PENDULUM_TIMESTEP_S,
    n_samples: SampleCount = 11,
) -> dict:
    """Simulate a simple pendulum (point mass on a massless rigid rod swinging in the x-z plane) with MuJoCo.

    Angles are from the downward vertical, positive with the bob on the +x side, not wrapped. Returns final
    values, the max and min over every integration step, events (times the rod passes the downward vertical,
    the mean period from them) and the trajectory at n_samples evenly spaced times. The run covers exactly
    duration_s of physical time.

    Args:
        length_m: rod length from pivot to bob in metres.
        bob_mass_kg: mass of the bob in kg.
        initial_angle_deg: release angle from the downward vertical in degrees (-180 to 180).
        duration_s: simulated physical time in seconds (at most 30).
        initial_angular_velocity_deg_per_s: initial angular velocity in degrees per second (positive swings
            the bob toward +x).
        pivot_damping_n_m_s_per_rad: viscous damping at the pivot: torque = -damping * angular velocity.
        gravity_m_per_s2: magnitude of gravitational acceleration in m/s^2.
        timestep_s: largest integration step in seconds (RK4); the tool refines it for fast rotations.
        n_samples: number of evenly spaced trajectory samples to return, including t = 0 and the end.
    """
    xml = f"""
<mujoco model="pendulum">
  <option integrator="RK4" gravity="0 0 {-gravity_m_per_s2:.17g}"/>
  <worldbody>
    <body name="rod">
      <joint name="pivot" type="hinge" axis="0 -1 0" damping="{pivot_damping_n_m_s_per_rad:.17g}"/>
      {_point_mass(bob_mass_kg, length_m)}
    </body>
  </worldbody>
</mujoco>"""
    model = _sim.compile_model(xml)
    data = mujoco.MjData(model)
    data.qpos[0] = math.radians(initial_angle_deg)
    data.qvel[0] = math.radians(initial_angular_velocity_deg_per_s)
    # energy bounds the speed: omega^2 <= omega0^2 + 4 g / L (from the lowest to the highest point)
    fastest = math.sqrt(data.qvel[0] ** 2 + 4 * gravity_m_per_s2 / length_m)
    result = _sim.run(model, data, duration_s, swing_timestep(timestep_s, fastest, duration_s))

    theta, omega = result.qpos[:, 0], result.qvel[:, 0]
    energy = 0.5 * bob_mass_kg * (length_m * omega) ** 2 + bob_mass_kg * gravity_m_per_s2 * length_m * (
        1 - np.cos(theta)
    )
    series = {
        "angle_deg": np.degrees(theta),
        "angular_velocity_deg_per_s": np.degrees(omega),
        "bob_x_m": length_m * np.sin(theta),
        "bob_z_m": -length_m * np.cos(theta),
        "mechanical_energy_J": energy,
    }
    crossings, period = _crossings(result.time_s, series["angle_deg"])
    events = {
        "first_vertical_passage_time_s": _sim.first_or_none(crossings),
        "vertical_passages": len(crossings),
        "mean_period_s": None if period is None else _sim.sig(period),
    }
    extremes = ["angle_deg", "angular_velocity_deg_per_s", "bob_x_m", "bob_z_m"]
    return _sim.summary("pendulum", result, series, extremes, events, n_samples)


@tool
def simulate_double_pendulum(
    upper_length_m: RodLength,
    lower_length_m: RodLength,
    upper_mass_kg: Mass,
    lower_mass_kg: Mass,
    upper_initial_angle_deg: AngleDeg,
    lower_initial_angle_deg: AngleDeg,
    duration_s: Duration,
    upper_initial_angular_velocity_deg_per_s: AngularSpeedDeg = 0.0,
    lower_initial_angular_velocity_deg_per_s: AngularSpeedDeg = 0.0,
    joint_damping_n_m_s_per_rad: Damping = 0.0,
    gravity_m_per_s2: Gravity = 9.81,
    timestep_s: Timestep = PENDULUM_TIMESTEP_S,
    n_samples: SampleCount = 11,
) -> dict:
    """Simulate a double pendulum (two point masses on massless rigid rods, in the x-z plane) with MuJoCo.

    The upper rod hangs from a fixed pivot, the lower rod from the upper bob. Both angles are absolute: from
    the downward vertical, positive with the bob on the +x side of its own pivot, not wrapped. Returns final
    values, the max and min over every integration step, events (first times each rod passes the downward
    vertical) and the trajectory at n_samples evenly spaced times. The run covers exactly duration_s of
    physical time.

    Args:
        upper_length_m: length of the upper rod (fixed pivot to upper bob) in metres.
        lower_length_m: length of the lower rod (upper bob to lower bob) in metres.
        upper_mass_kg: mass of the upper bob in kg.
        lower_mass_kg: mass of the lower bob in kg.
        upper_initial_angle_deg: initial angle of the upper rod from the downward vertical in degrees.
        lower_initial_angle_deg: initial angle of the lower rod from the downward vertical in degrees
            (absolute, not relative to the upper rod).
        duration_s: simulated physical time in seconds (at most 30).
        upper_initial_angular_velocity_deg_per_s: initial angular velocity of the upper rod in degrees per second.
        lower_initial_angular_velocity_deg_per_s: initial absolute angular velocity of the lower rod in degrees
            per second.
        joint_damping_n_m_s_per_rad: viscous damping at each joint: torque = -damping * relative angular velocity.
        gravity_m_per_s2: magnitude of gravitational acceleration in m/s^2.
        timestep_s: largest integration step in seconds (RK4); the tool refines it for fast rotations.
        n_samples: number of evenly spaced trajectory samples to return, including t = 0 and the end.
    """
    damping = f"{joint_damping_n_m_s_per_rad:.17g}"
    xml = f"""
<mujoco model="double_pendulum">
  <option integrator="RK4" gravity="0 0 {-gravity_m_per_s2:.17g}"/>
  <worldbody>
    <body name="upper">
      <joint name="shoulder" type="hinge" axis="0 -1 0" damping="{damping}"/>
      {_point_mass(upper_mass_kg, upper_length_m)}
      <body name="lower" pos="0 0 {-upper_length_m:.17g}">
        <joint name="elbow" type="hinge" axis="0 -1 0" damping="{damping}"/>
        {_point_mass(lower_mass_kg, lower_length_m)}
      </body>
    </body>
  </worldbody>
</mujoco>"""
    model = _sim.compile_model(xml)
    data = mujoco.MjData(model)
    upper0 = math.radians(upper_initial_angle_deg)
    lower0 = math.radians(lower_initial_angle_deg)
    data.qpos[:] = (upper0, lower0 - upper0)  # the elbow hinge measures the lower rod relative to the upper
    w_upper0 = math.radians(upper_initial_angular_velocity_deg_per_s)
    w_lower0 = math.radians(lower_initial_angular_velocity_deg_per_s)
    data.qvel[:] = (w_upper0, w_lower0 - w_upper0)
    fastest = _double_pendulum_fastest_rate(
        upper_length_m,
        lower_length_m,
        upper_mass_kg,
        lower_mass_kg,
        w_upper0,
        w_lower0,
        upper0,
        lower0,
        gravity_m_per_s2,
    )
    result = _sim.run(model, data, duration_s, swing_timestep(timestep_s, fastest, duration_s))

    th1 = result.qpos[:, 0]
    th2 = result.qpos[:, 0] + result.qpos[:, 1]
    w1 = result.qvel[:, 0]
    w2 = result.qvel[:, 0] + result.qvel[:, 1]
    l1, l2, m1, m2, g = upper_length_m, lower_length_m, upper_mass_kg, lower_mass_kg, gravity_m_per_s2
    kinetic = 0.5 * m1 * (l1 * w1) ** 2 + 0.5 * m2 * (
        (l1 * w1) ** 2 + (l2 * w2) ** 2 + 2 * l1 * l2 * w1 * w2 * np.cos(th1 - th2)
    )
    potential = (m1 + m2) * g * l1 * (1 - np.cos(th1)) + m2 * g * l2 * (1 - np.cos(th2))
    series = {
        "upper_angle_deg": np.degrees(th1),
        "lower_angle_deg": np.degrees(th2),
        "upper_angular_velocity_deg_per_s": np.degrees(w1),
        "lower_angular_velocity_deg_per_s": np.degrees(w2),
        "upper_bob_x_m": l1 * np.sin(th1),
        "upper_bob_z_m": -l1 * np.cos(th1),
        "lower_bob_x_m": l1 * np.sin(th1) + l2 * np.sin(th2),
        "lower_bob_z_m": -l1 * np.cos(th1) - l2 * np.cos(th2),
        "mechanical_energy_J": kinetic + potential,
    }
    events = {
        "upper_first_vertical_passage_time_s": _sim.first_or_none(
            _sim.crossing_times(result.time_s, series["upper_angle_deg"])
        ),
        "lower_first_vertical_passage_time_s": _sim.first_or_none(
            _sim.crossing_times(result.time_s, series["lower_angle_deg"])
        ),
    }
    extremes = [
        "upper_angle_deg",
        "lower_angle_deg",
        "upper_angular_velocity_deg_per_s",
        "lower_angular_velocity_deg_per_s",
        "lower_bob_x_m",
        "lower_bob_z_m",
    ]
    return _sim.summary("double_pendulum", result, series, extremes, events, n_samples)
