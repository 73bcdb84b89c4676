"""A ball launched along flat ground with spin: it slides, friction turns slipping into rolling.

A ball on flat ground stays on it, so the scene has two degrees of freedom: the centre's slide along x and the
spin about y. Coulomb friction acts on the slip v - R * spin: it is the dry friction (mu m g) of a fixed tendon
whose length is x - R * angle, integrated with RK4. MuJoCo's free ball on its soft, convex contact hopped off the
ground in proportion to mu times the slip at fast launches, so the slip ended up to a third late (issue 18).
"""

from __future__ import annotations

import mujoco
import numpy as np

from toolwise.tools import tool
from toolwise.tools.mujoco import _sim
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
MIN_ROLLING_TIMESTEP_S = 1e-4
ROLLING_SLIP_M_PER_S = 0.01  # "rolling without slipping" once |v - R*omega| is below 1 cm/s
# at least ten steps of constant-rate slip before it ends, so the rolling time is extrapolated from them (issue 18)
SLIP_RESOLUTION = 0.1
FRICTION_IMPEDANCE = 0.9999
SLIP_DECELERATION_FACTOR = 3.5  # a solid sphere's slip falls at (1 + m R^2 / I) mu g = 3.5 mu g


def rolling_timestep(slip_m_per_s: float, mu: float, g: float, duration_s: float, requested_s: float) -> float:
    """The requested step, refined so that the end of the slip is resolved."""
    deceleration = SLIP_DECELERATION_FACTOR * mu * g  # 0 for a denormal friction whose product underflows
    if slip_m_per_s == 0 or deceleration == 0:
        return requested_s
    slipping_s = abs(slip_m_per_s) / deceleration
    return min(requested_s, max(SLIP_RESOLUTION * slipping_s, MIN_ROLLING_TIMESTEP_S, duration_s / _sim.MAX_STEPS))


def rolling_time(time_s: np.ndarray, slip: np.ndarray, mu_g: float, step_s: float) -> float | None:
    """When |slip| first falls below 1 cm/s; None if it never does.

    Friction is exact Coulomb (slip falling at a constant rate) until the last two steps, where the soft dry
    friction takes over, so a crossing inside that soft tail is extrapolated from the last steps of constant
    deceleration instead of read off the tail.
    """
    below = np.nonzero(slip < ROLLING_SLIP_M_PER_S)[0]
    if len(below) == 0:
        return None
    j = int(below[0])
    if j == 0:
        return 0.0
    soft = np.nonzero(slip <= max(3 * SLIP_DECELERATION_FACTOR * mu_g * step_s, ROLLING_SLIP_M_PER_S))[0]
    k = int(soft[0])
    if k >= 2 and k < j + 1 and slip[k - 2] > slip[k - 1]:  # the threshold lies in the soft tail
        rate = (slip[k - 2] - slip[k - 1]) / (time_s[k - 1] - time_s[k - 2])
        return float(time_s[k - 1] + (slip[k - 1] - ROLLING_SLIP_M_PER_S) / rate)
    a, b = slip[j - 1] - ROLLING_SLIP_M_PER_S, slip[j] - ROLLING_SLIP_M_PER_S
    return float(time_s[j - 1] + a / (a - b) * (time_s[j] - time_s[j - 1]))


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
        timestep_s: largest integration step in seconds (RK4); the tool takes a finer one when a short slip
            needs it.
        n_samples: number of evenly spaced trajectory samples to return, including t = 0 and the end.
    """
    slip0 = initial_velocity_m_per_s - radius_m * initial_spin_rad_per_s
    step = rolling_timestep(slip0, friction_coefficient, gravity_m_per_s2, duration_s, timestep_s)
    impedance = f"{FRICTION_IMPEDANCE} {FRICTION_IMPEDANCE} 0.001 0.5 2"
    # slip velocity = v - R * spin is the velocity of the fixed tendon x - R * angle: its dry friction is the
    # Coulomb force mu m g at the contact point, acting on both the centre and the spin
    xml = f"""
<mujoco model="rolling_ball">
  <option integrator="RK4" gravity="0 0 {-gravity_m_per_s2:.17g}"/>
  <worldbody>
    <geom name="ground" type="plane" size="0 0 1" contype="0" conaffinity="0"/>
    <body name="ball" pos="0 0 {radius_m:.17g}">
      <joint name="x" type="slide" axis="1 0 0"/>
      <joint name="spin" type="hinge" axis="0 1 0"/>
      <geom name="ball" type="sphere" size="{radius_m:.17g}" mass="{mass_kg:.17g}" contype="0" conaffinity="0"/>
    </body>
  </worldbody>
  <tendon>
    <fixed name="slip" frictionloss="{friction_coefficient * mass_kg * gravity_m_per_s2:.17g}"
           solreffriction="{2 * step:.17g} 1" solimpfriction="{impedance}">
      <joint joint="x" coef="1"/>
      <joint joint="spin" coef="{-radius_m:.17g}"/>
    </fixed>
  </tendon>
</mujoco>"""
    model, data = _sim.compile_scene(xml)
    data.qvel[:] = (initial_velocity_m_per_s, initial_spin_rad_per_s)
    drag = None
    if drag_coefficient_kg_per_m > 0:
        fastest = abs(initial_velocity_m_per_s) + radius_m * abs(initial_spin_rad_per_s)  # friction only trades these
        _sim.refuse_stiff_drag(drag_coefficient_kg_per_m, mass_kg, fastest, step)

        def drag(d: mujoco.MjData) -> None:  # F = -c |v| v on the centre, never on the spin
            d.qfrc_applied[0] = -drag_coefficient_kg_per_m * abs(d.qvel[0]) * d.qvel[0]

    result = _sim.run(model, data, duration_s, step, before_step=drag)

    velocity, spin = result.qvel[:, 0], result.qvel[:, 1]
    slip = velocity - radius_m * spin
    series = {
        "x_m": result.qpos[:, 0],
        "velocity_m_per_s": velocity,
        "spin_rad_per_s": spin,
        "slip_velocity_m_per_s": slip,
        "kinetic_energy_J": 0.5 * mass_kg * velocity**2 + 0.2 * mass_kg * (radius_m * spin) ** 2,
    }
    rolls_from = rolling_time(result.time_s, np.abs(slip), friction_coefficient * gravity_m_per_s2, step)
    events = {"rolling_without_slipping_from_time_s": None if rolls_from is None else _sim.sig(rolls_from)}
    extremes = ["x_m", "velocity_m_per_s", "spin_rad_per_s", "slip_velocity_m_per_s"]
    return _sim.summary("rolling_ball", result, series, extremes, events, n_samples)
