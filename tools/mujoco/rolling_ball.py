"""A ball launched along flat ground with spin: it slides, friction turns slipping into rolling."""

from __future__ import annotations

import mujoco
import numpy as np

from toolwise.tools import tool
from toolwise.tools.mujoco import _sim
from toolwise.tools.mujoco._contact import FRICTION_SOLREF
from toolwise.tools.mujoco._params import (
    AngularSpeedRad,
    DragCoefficient,
    Duration,
    Friction,
    Gravity,
    Mass,
    Radius,
    SampleCount,
    Speed,
    Timestep,
)

ROLLING_TIMESTEP_S = 0.001
ROLLING_SLIP_M_PER_S = 0.01  # "rolling without slipping" once |v - R*omega| is below 1 cm/s


@tool
def simulate_rolling_ball(
    radius_m: Radius,
    mass_kg: Mass,
    friction_coefficient: Friction,
    initial_velocity_m_per_s: Speed,
    initial_spin_rad_per_s: AngularSpeedRad,
    duration_s: Duration,
    drag_coefficient_kg_per_m: DragCoefficient = 0.0,
    gravity_m_per_s2: Gravity = 9.81,
    timestep_s: Timestep = ROLLING_TIMESTEP_S,
    n_samples: SampleCount = 11,
) -> dict:
    """Simulate a solid ball set moving along flat horizontal ground with spin, with MuJoCo.

    The ball starts resting on the ground at x = 0 with a velocity along x and a spin about the horizontal
    axis across its path. Spin is positive for topspin: a ball rolling without slipping at velocity v has
    spin v / radius. While the contact point slips (v != radius * spin), Coulomb friction acts on it;
    optionally quadratic air drag F = -c |v| v acts on the centre (not on the spin; there is no rolling
    resistance). Returns final values, max and min over every integration step, events (the time it first
    rolls without slipping, |v - radius * spin| below 1 cm/s) and the trajectory at n_samples evenly spaced
    times. The run covers exactly duration_s of physical time.

    Args:
        radius_m: ball radius in metres.
        mass_kg: ball mass in kg (uniform solid sphere).
        friction_coefficient: Coulomb friction coefficient between ball and ground.
        initial_velocity_m_per_s: initial velocity of the centre along x in m/s.
        initial_spin_rad_per_s: initial spin in rad/s, positive for topspin (rolling forward along +x).
        duration_s: simulated physical time in seconds (at most 30).
        drag_coefficient_kg_per_m: quadratic drag coefficient c in F = -c |v| v, in kg/m (0 for no air).
        gravity_m_per_s2: magnitude of gravitational acceleration in m/s^2.
        timestep_s: integration step in seconds (implicit-fast Euler); smaller is more accurate and slower.
        n_samples: number of evenly spaced trajectory samples to return, including t = 0 and the end.
    """
    xml = f"""
<mujoco model="rolling_ball">
  <option integrator="implicitfast" cone="elliptic" impratio="10" gravity="0 0 {-gravity_m_per_s2:.17g}"/>
  <default><geom solref="{FRICTION_SOLREF}" friction="{friction_coefficient:.17g} 0 0"/></default>
  <worldbody>
    <geom name="ground" type="plane" size="0 0 1"/>
    <body name="ball" pos="0 0 {radius_m:.17g}">
      <freejoint/>
      <geom name="ball" type="sphere" size="{radius_m:.17g}" mass="{mass_kg:.17g}"/>
    </body>
  </worldbody>
</mujoco>"""
    model = _sim.compile_model(xml)
    data = mujoco.MjData(model)
    data.qvel[0] = initial_velocity_m_per_s
    data.qvel[4] = initial_spin_rad_per_s  # body frame = world frame at t = 0; +y spin rolls toward +x
    drag = _sim.quadratic_drag(model, "ball", drag_coefficient_kg_per_m)
    result = _sim.run(model, data, duration_s, timestep_s, before_step=drag)

    velocity = result.qvel[:, 0]
    spin = _sim.world_angular_velocity(result.qpos[:, 3:7], result.qvel[:, 3:6])[:, 1]
    slip = velocity - radius_m * spin
    series = {
        "x_m": result.qpos[:, 0],
        "velocity_m_per_s": velocity,
        "spin_rad_per_s": spin,
        "slip_velocity_m_per_s": slip,
        "kinetic_energy_J": 0.5 * mass_kg * velocity**2 + 0.2 * mass_kg * (radius_m * spin) ** 2,
    }
    rolling = np.nonzero(np.abs(slip) < ROLLING_SLIP_M_PER_S)[0]
    events = {"rolling_without_slipping_from_time_s": _sim.sig(result.time_s[rolling[0]]) if len(rolling) else None}
    extremes = ["x_m", "velocity_m_per_s", "spin_rad_per_s", "slip_velocity_m_per_s"]
    return _sim.summary("rolling_ball", result, series, extremes, events, n_samples)
