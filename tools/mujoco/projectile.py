"""A ball thrown over flat ground: flight, bounces (stated restitution), friction with the ground, air drag."""

from __future__ import annotations

import itertools
import math

import numpy as np

from toolwise.tools import tool
from toolwise.tools.mujoco import _sim
from toolwise.tools.mujoco._contact import contact_attributes
from toolwise.tools.mujoco._params import (
    DragCoefficient,
    Duration,
    Friction,
    Gravity,
    Height,
    Mass,
    Radius,
    Restitution,
    SampleCount,
    Speed,
    Timestep,
)

CONTACT_TIMESTEP_S = 0.0005  # flight; impacts are refined to IMPACT_TIMESTEP_S
# where the contact begins inside a step shifts the rebound by about omega * step (1.6 % at 50 us, up to 9 % at
# the 0.5 ms flight step), so impacts take 20 us steps
IMPACT_TIMESTEP_S = 2e-5  # 500 steps per impact: the rebound within 0.5 % of a converged one (issue 18)
MAX_LISTED_BOUNCES = 10


@tool
def simulate_bouncing_ball(
    radius_m: Radius,
    mass_kg: Mass,
    initial_velocity_x_m_per_s: Speed,
    initial_velocity_z_m_per_s: Speed,
    duration_s: Duration,
    initial_height_m: Height = 0.0,
    restitution: Restitution = 0.7,
    friction_coefficient: Friction = 0.5,
    drag_coefficient_kg_per_m: DragCoefficient = 0.0,
    gravity_m_per_s2: Gravity = 9.81,
    timestep_s: Timestep = CONTACT_TIMESTEP_S,
    n_samples: SampleCount = 11,
) -> dict:
    """Simulate a solid ball thrown in the x-z plane over flat horizontal ground (z = 0) with MuJoCo.

    The ball starts at x = 0 with its lowest point initial_height_m above the ground. It bounces with the given
    coefficient of restitution (ratio of rebound to impact normal speed; impacts are soft and last about
    10 ms), feels Coulomb friction at the ground and, optionally, quadratic air drag F = -c |v| v on its
    centre. Heights (z_m) are of the ball's centre. Returns final values, max and min over every integration
    step, events (landing times and x positions, the highest centre height after each landing, up to 10)
    and the trajectory at n_samples evenly spaced times. The run covers exactly duration_s of physical time.

    Args:
        radius_m: ball radius in metres.
        mass_kg: ball mass in kg (uniform solid sphere).
        initial_velocity_x_m_per_s: initial horizontal velocity in m/s.
        initial_velocity_z_m_per_s: initial vertical velocity in m/s (positive is up).
        duration_s: simulated physical time in seconds (at most 30).
        initial_height_m: height of the ball's lowest point above the ground at t = 0, in metres.
        restitution: coefficient of restitution of ball-ground impacts, 0.3 to 1 (1 is perfectly elastic).
        friction_coefficient: Coulomb friction coefficient between ball and ground.
        drag_coefficient_kg_per_m: quadratic drag coefficient c in F = -c |v| v, in kg/m (0 for no air).
        gravity_m_per_s2: magnitude of gravitational acceleration in m/s^2.
        timestep_s: integration step in seconds (implicit-fast Euler) between impacts; each impact is stepped
            at a tenth of it or 20 microseconds, whichever is finer (impact_timestep_s in the result).
        n_samples: number of evenly spaced trajectory samples to return, including t = 0 and the end.
    """
    xml = f"""
<mujoco model="bouncing_ball">
  <option integrator="implicitfast" cone="elliptic" impratio="10" gravity="0 0 {-gravity_m_per_s2:.17g}"/>
  <default><geom {contact_attributes(restitution)} friction="{friction_coefficient:.17g} 0 0"/></default>
  <worldbody>
    <geom name="ground" type="plane" size="0 0 1"/>
    <body name="ball" pos="0 0 {radius_m + initial_height_m:.17g}">
      <freejoint/>
      <geom name="ball" type="sphere" size="{radius_m:.17g}" mass="{mass_kg:.17g}"/>
    </body>
  </worldbody>
</mujoco>"""
    model, data = _sim.compile_scene(xml)
    data.qvel[0] = initial_velocity_x_m_per_s
    data.qvel[2] = initial_velocity_z_m_per_s
    if drag_coefficient_kg_per_m > 0:  # the speed never exceeds the launch speed or the terminal speed
        terminal = math.sqrt(mass_kg * gravity_m_per_s2 / drag_coefficient_kg_per_m)
        fastest = max(math.hypot(initial_velocity_x_m_per_s, initial_velocity_z_m_per_s), terminal)
        _sim.refuse_stiff_drag(drag_coefficient_kg_per_m, mass_kg, fastest, timestep_s)
    drag = _sim.quadratic_drag(model, "ball", drag_coefficient_kg_per_m)
    impacts = _sim.Impacts(
        gap=lambda d: d.qpos[2] - radius_m,
        speed=lambda d: abs(d.qvel[2]),
        step_s=min(IMPACT_TIMESTEP_S, timestep_s / 10),
    )
    result = _sim.run(model, data, duration_s, timestep_s, before_step=drag, impacts=impacts)

    x, z = result.qpos[:, 0], result.qpos[:, 2]
    vx, vz = result.qvel[:, 0], result.qvel[:, 2]
    series = {"x_m": x, "z_m": z, "vx_m_per_s": vx, "vz_m_per_s": vz, "speed_m_per_s": np.hypot(vx, vz)}
    gap = z - radius_m
    landed = _sim.landings(result.time_s, gap)
    times = [_sim.interpolated_time(result.time_s, gap, i) for i in landed]
    bounds = [*(int(i) + 1 for i in landed), len(z)]
    apexes = [float(z[start:end].max()) for start, end in itertools.pairwise(bounds)]
    shown = slice(0, MAX_LISTED_BOUNCES)
    events = {
        "landings": len(landed),
        "landing_times_s": [_sim.sig(t) for t in times[shown]],
        "landing_x_m": [_sim.sig(np.interp(t, result.time_s, x)) for t in times[shown]],
        "max_height_after_each_landing_m": [_sim.sig(h) for h in apexes[shown]],
    }
    extremes = ["x_m", "z_m", "vx_m_per_s", "vz_m_per_s", "speed_m_per_s"]
    return _sim.summary("bouncing_ball", result, series, extremes, events, n_samples)
