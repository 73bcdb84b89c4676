"""Two spheres gliding on a frictionless horizontal table (seen from above) that may collide."""

from __future__ import annotations

import math

import numpy as np

from toolwise.tools import ToolError, tool
from toolwise.tools.mujoco import _sim
from toolwise.tools.mujoco._contact import contact_attributes
from toolwise.tools.mujoco._params import (
    Duration,
    Mass,
    Position,
    Radius,
    Restitution,
    SampleCount,
    Speed,
    Timestep,
)

COLLISION_TIMESTEP_S = 0.00025  # approach and parting; the impact itself takes IMPACT_TIMESTEP_S steps
IMPACT_TIMESTEP_S = 2e-5  # 500 steps per impact: the rebound within 0.5 % of a converged one (issue 18)


@tool
def simulate_sphere_collision(
    sphere1_radius_m: Radius,
    sphere1_mass_kg: Mass,
    sphere1_x_m: Position,
    sphere1_y_m: Position,
    sphere1_velocity_x_m_per_s: Speed,
    sphere1_velocity_y_m_per_s: Speed,
    sphere2_radius_m: Radius,
    sphere2_mass_kg: Mass,
    sphere2_x_m: Position,
    sphere2_y_m: Position,
    sphere2_velocity_x_m_per_s: Speed,
    sphere2_velocity_y_m_per_s: Speed,
    duration_s: Duration,
    restitution: Restitution = 1.0,
    timestep_s: Timestep = COLLISION_TIMESTEP_S,
    n_samples: SampleCount = 11,
) -> dict:
    """Simulate two solid spheres sliding without friction on a horizontal table (the x-y plane) with MuJoCo.

    The spheres move in straight lines until they touch; the impact is frictionless (no spin is exchanged)
    with the given coefficient of restitution (ratio of separation to approach speed along the line of
    centres; impacts are soft and last about 10 ms). Returns final positions and velocities, max and min over
    every integration step (including surface_gap_m, the distance between the surfaces), events (first contact
    time) and the trajectory at n_samples evenly spaced times. The run covers exactly duration_s of physical
    time.

    Args:
        sphere1_radius_m: radius of sphere 1 in metres.
        sphere1_mass_kg: mass of sphere 1 in kg.
        sphere1_x_m: initial x of sphere 1's centre in metres.
        sphere1_y_m: initial y of sphere 1's centre in metres.
        sphere1_velocity_x_m_per_s: initial x velocity of sphere 1 in m/s.
        sphere1_velocity_y_m_per_s: initial y velocity of sphere 1 in m/s.
        sphere2_radius_m: radius of sphere 2 in metres.
        sphere2_mass_kg: mass of sphere 2 in kg.
        sphere2_x_m: initial x of sphere 2's centre in metres.
        sphere2_y_m: initial y of sphere 2's centre in metres.
        sphere2_velocity_x_m_per_s: initial x velocity of sphere 2 in m/s.
        sphere2_velocity_y_m_per_s: initial y velocity of sphere 2 in m/s.
        duration_s: simulated physical time in seconds (at most 30).
        restitution: coefficient of restitution of the impact, 0.3 to 1 (1 is perfectly elastic).
        timestep_s: integration step in seconds (implicit-fast Euler) between impacts; each impact is stepped
            at a tenth of it or 20 microseconds, whichever is finer (impact_timestep_s in the result).
        n_samples: number of evenly spaced trajectory samples to return, including t = 0 and the end.
    """
    start_gap = np.hypot(sphere1_x_m - sphere2_x_m, sphere1_y_m - sphere2_y_m) - sphere1_radius_m - sphere2_radius_m
    if start_gap < 0:
        raise ToolError(f"the spheres overlap at t = 0 by {-start_gap:.4g} m; place them further apart")
    xml = f"""
<mujoco model="sphere_collision">
  <option integrator="implicitfast" gravity="0 0 0"/>
  <default><geom condim="1" {contact_attributes(restitution)}/></default>
  <worldbody>
    <body name="sphere1" pos="{sphere1_x_m:.17g} {sphere1_y_m:.17g} 0">
      <freejoint/>
      <geom type="sphere" size="{sphere1_radius_m:.17g}" mass="{sphere1_mass_kg:.17g}"/>
    </body>
    <body name="sphere2" pos="{sphere2_x_m:.17g} {sphere2_y_m:.17g} 0">
      <freejoint/>
      <geom type="sphere" size="{sphere2_radius_m:.17g}" mass="{sphere2_mass_kg:.17g}"/>
    </body>
  </worldbody>
</mujoco>"""
    model, data = _sim.compile_scene(xml)
    data.qvel[0:2] = (sphere1_velocity_x_m_per_s, sphere1_velocity_y_m_per_s)
    data.qvel[6:8] = (sphere2_velocity_x_m_per_s, sphere2_velocity_y_m_per_s)
    radii = sphere1_radius_m + sphere2_radius_m
    impacts = _sim.Impacts(
        gap=lambda d: math.hypot(d.qpos[0] - d.qpos[7], d.qpos[1] - d.qpos[8]) - radii,
        speed=lambda d: math.hypot(d.qvel[0] - d.qvel[6], d.qvel[1] - d.qvel[7]),
        step_s=min(IMPACT_TIMESTEP_S, timestep_s / 10),
    )
    result = _sim.run(model, data, duration_s, timestep_s, impacts=impacts)

    p1, p2 = result.qpos[:, 0:2], result.qpos[:, 7:9]
    v1, v2 = result.qvel[:, 0:2], result.qvel[:, 6:8]
    gap = np.hypot(*(p1 - p2).T) - sphere1_radius_m - sphere2_radius_m
    kinetic = 0.5 * sphere1_mass_kg * (v1**2).sum(axis=1) + 0.5 * sphere2_mass_kg * (v2**2).sum(axis=1)
    series = {
        "sphere1_x_m": p1[:, 0],
        "sphere1_y_m": p1[:, 1],
        "sphere1_vx_m_per_s": v1[:, 0],
        "sphere1_vy_m_per_s": v1[:, 1],
        "sphere2_x_m": p2[:, 0],
        "sphere2_y_m": p2[:, 1],
        "sphere2_vx_m_per_s": v2[:, 0],
        "sphere2_vy_m_per_s": v2[:, 1],
        "surface_gap_m": gap,
        "kinetic_energy_J": kinetic,
    }
    contacts = _sim.crossing_times(result.time_s, gap, direction=-1)
    events = {"first_contact_time_s": _sim.first_or_none(contacts), "contacts": len(contacts)}
    extremes = list(series)
    return _sim.summary("sphere_collision", result, series, extremes, events, n_samples)
