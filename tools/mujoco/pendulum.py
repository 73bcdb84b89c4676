"""Pendulum scenes: a simple pendulum and a double pendulum, point masses on massless rigid rods.

Angles are measured from the downward vertical, in degrees, positive when the bob is on the +x side of the
pivot; they are not wrapped, so a pendulum that goes over the top keeps counting (e.g. 370°). Positions are
relative to the pivot (z up, so a hanging bob has z = -length). Mechanical energy is kinetic plus potential,
with potential zero when every bob hangs at its lowest point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

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
# the simple pendulum is not chaotic: 1/20 rad per step keeps its energy within 1e-6 over its whole range (the
# fastest, a 1 cm rod spun at 3600 deg/s under 50 m/s^2 for 30 s, then takes 93,000 steps)
SINGLE_STEPS_PER_RADIAN = 20
# the pivot's viscous damping is explicit in RK4: a step of at most half the damping time I / c (moment of inertia
# over damping) follows the decaying motion within 2e-4 of its size (the amplification per step is 0.60677 against
# e^-0.5 = 0.60653) and is far inside RK4's stability limit of 2.8 I / c, past which the run blows up (issue 18)
DAMPING_STEP = 0.5

RodLength = Annotated[float, bounded(0.01, 100.0)]


@dataclass(frozen=True)
class StepNeeds:
    """What limits a pendulum's step: the fastest rotation its energy allows and its fastest damping rate."""

    fastest_rad_per_s: float
    damping_rate_per_s: float  # c over the smallest moment of inertia the damped joints can present; 0 undamped
    steps_per_radian: float = STEPS_PER_RADIAN

    @property
    def rotation_step_s(self) -> float:
        return 1.0 / (self.steps_per_radian * self.fastest_rad_per_s)

    @property
    def damping_step_s(self) -> float:
        return DAMPING_STEP / self.damping_rate_per_s if self.damping_rate_per_s > 0 else math.inf

    @property
    def step_s(self) -> float:
        return min(self.rotation_step_s, self.damping_step_s)


def swing_timestep(
    scene: str, requested_s: float, needs: StepNeeds, duration_s: float, advice: Callable[[], str]
) -> float:
    """The requested step, refined so no rod turns more than 1/STEPS_PER_RADIAN rad and damping is followed.

    A run that would need more than the step limit at the refined step is refused: the message says what
    limits the step and ``advice()`` which arguments would work.
    """
    if needs.step_s >= requested_s:
        return requested_s  # the caller's step is the finer one; _sim.run enforces the step limit for it
    step = needs.step_s
    steps = math.ceil(duration_s / step - 1e-9)
    if steps > _sim.MAX_STEPS:
        if needs.damping_step_s < needs.rotation_step_s:
            why = (
                f"its damping stops the motion it acts on within {1 / needs.damping_rate_per_s:.3g} s (damping over "
                "the smallest moment of inertia it acts on)"
            )
        else:
            why = (
                f"a rod can turn at up to {needs.fastest_rad_per_s:.4g} rad/s (the bound from its energy and its "
                "fastest normal mode)"
            )
        raise ToolError(
            f"this {scene} is too stiff to simulate for {duration_s:g} s: {why}, so each step may be at most "
            f"{step:.3g} s and the run would take {steps} steps, more than the {_sim.MAX_STEPS}-step limit. Any "
            f"one of these changes works, the other arguments as given: {advice()}; or duration_s at most "
            f"{_down(_sim.MAX_STEPS * step)}"
        )
    return step


def fitting_bound(knob: Callable[[float], float], current: float, limit: float, step_needed_s: float) -> float | None:
    """How far an argument must move from ``current`` toward ``limit`` for its step ``knob(x)`` to fit the limit.

    Returns the value b such that every x from b to ``limit`` gets a step of at least ``step_needed_s`` (checked
    on a grid of 200 points, geometric when both ends are positive, then narrowed by bisection), or None when
    even ``limit`` does not fit.
    """
    if knob(limit) < step_needed_s:
        return None
    geometric = current > 0 and limit > 0
    grid = np.geomspace(limit, current, 200) if geometric else np.linspace(limit, current, 200)
    fits, fails = limit, None
    for x in grid[1:]:
        if knob(float(x)) < step_needed_s:
            fails = float(x)
            break
        fits = float(x)
    if fails is None:
        return current
    for _ in range(40):
        mid = math.sqrt(fits * fails) if geometric else (fits + fails) / 2
        fits, fails = (mid, fails) if knob(mid) >= step_needed_s else (fits, mid)
    return fits


def _up(value: float) -> str:
    """``value`` to three significant digits, rounded up (a stated lower bound stays on the safe side)."""
    scale = 10 ** (math.floor(math.log10(value)) - 2)
    return f"{math.ceil(value / scale - 1e-9) * scale:.3g}"


def _down(value: float) -> str:
    """``value`` to three significant digits, rounded down (a stated upper bound stays on the safe side)."""
    if value <= 0:
        return "0"
    scale = 10 ** (math.floor(math.log10(value)) - 2)
    return f"{math.floor(value / scale + 1e-9) * scale:.3g}"


def _single_fastest_rate(length: float, w0: float, g: float) -> float:
    # energy bounds the speed: omega^2 <= omega0^2 + 4 g / L (from the lowest to the highest point)
    return math.sqrt(w0**2 + 4 * g / length)


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
    # small swings oscillate at the normal-mode rates, the fastest about sqrt(g (m1 + m2) / (m1 l1) + g / l2);
    # exactly, it is the larger root of det(K - w^2 M) = 0 at the hanging position (for a heavy bob on a short
    # lower rod under a light upper one it is far above that estimate: 1064 rad/s for 0.275 kg on 24.7 m over
    # 288 kg on 3.8 cm, against 53: issue 18)
    estimate = math.sqrt(g * (m1 + m2) / (m1 * l1) + g / l2)
    return max(upper, lower, estimate, _double_pendulum_fastest_mode(l1, l2, m1, m2, g))


def _double_pendulum_fastest_mode(l1: float, l2: float, m1: float, m2: float, g: float) -> float:
    """The fastest normal-mode rate of small swings about the hanging position (rad/s)."""
    m11, m12, m22 = (m1 + m2) * l1**2 + m2 * l2**2 + 2 * m2 * l1 * l2, m2 * l2**2 + m2 * l1 * l2, m2 * l2**2
    k11, k12, k22 = (m1 + m2) * g * l1 + m2 * g * l2, m2 * g * l2, m2 * g * l2
    a = m2 * l2**2 * l1**2 * m1  # det M at the hanging position
    b = m11 * k22 + m22 * k11 - 2 * m12 * k12
    c = k11 * k22 - k12 * k12
    return math.sqrt((b + math.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a))


_COS_GRID = np.linspace(-1.0, 1.0, 401)


def _double_pendulum_damping_rate(l1: float, l2: float, m1: float, m2: float, damping: float) -> float:
    """The fastest decay rate the joint damping imposes: damping over the smallest eigenvalue of the mass matrix.

    Each hinge (shoulder absolute, elbow relative) has damping c, so the damped modes decay at c times the
    eigenvalues of M^-1, M the mass matrix in those coordinates; its smallest eigenvalue is taken over every
    elbow angle.
    """
    if damping == 0:
        return 0.0
    c = _COS_GRID
    m11 = (m1 + m2) * l1**2 + m2 * l2**2 + 2 * m2 * l1 * l2 * c
    m22 = m2 * l2**2
    det = m2 * l2**2 * l1**2 * (m1 + m2 * (1 - c * c))
    trace = m11 + m22
    smallest = 2 * det / (trace + np.sqrt(np.maximum(trace * trace - 4 * det, 0.0)))
    return damping / float(smallest.min())


TINY_INERTIA = 1e-9  # of the smallest inertia the bob's spin could add to; MuJoCo needs some rotational inertia
MIN_INERTIA_KG_M2 = 2e-15  # MuJoCo refuses a moving body whose inertia is below its 1e-15 floor


def _point_mass(mass: float, length: float, lightest_kg: float | None = None) -> str:
    """A point-mass bob at the rod's end, with the tiny rotational inertia MuJoCo needs about its centre.

    That inertia is added physics: it is 1e-9 of ``lightest_kg`` x length^2 (the lightest bob of the scene: a
    lower rod that turns while a light upper bob whips must not feel it) and at least MuJoCo's floor. It was
    1e-8 m max(L, 1)^2, which on a 1 cm rod was 1e-4 of m L^2 (a 5e-5 slower swing: 0.1 rad of phase in 30 s)
    and under a light upper bob shifted the fast mode by 8e-6 (0.02 of its amplitude in 24 s; issue 18).
    """
    tiny = max(TINY_INERTIA * (mass if lightest_kg is None else lightest_kg) * length**2, MIN_INERTIA_KG_M2)
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
    model, data = _sim.compile_scene(xml)
    data.qpos[0] = math.radians(initial_angle_deg)
    data.qvel[0] = math.radians(initial_angular_velocity_deg_per_s)
    length, mass, damping, g = length_m, bob_mass_kg, pivot_damping_n_m_s_per_rad, gravity_m_per_s2
    w0, fits = float(data.qvel[0]), duration_s / _sim.MAX_STEPS  # the coarsest step a run within the limit has

    def needs(length: float = length, mass: float = mass, damping: float = damping, w0: float = w0) -> StepNeeds:
        return StepNeeds(_single_fastest_rate(length, w0, g), damping / (mass * length**2), SINGLE_STEPS_PER_RADIAN)

    def advice() -> str:
        # each argument alone, the others as given: the range of it that fits the step limit for this duration
        options = []
        if (most := fitting_bound(lambda c: needs(damping=c).step_s, damping, 0.0, fits)) is not None:
            options.append(f"pivot_damping_n_m_s_per_rad at most {_down(most)}")
        if (least := fitting_bound(lambda m: needs(mass=m).step_s, mass, 1000.0, fits)) is not None:
            options.append(f"bob_mass_kg at least {_up(least)}")
        if (least := fitting_bound(lambda x: needs(length=x).step_s, length, 100.0, fits)) is not None:
            options.append(f"length_m at least {_up(least)}")
        return ", or ".join(options) or "a heavier bob, a longer rod or less damping"

    step = swing_timestep("pendulum", timestep_s, needs(), duration_s, advice)
    result = _sim.run(model, data, duration_s, step)

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
    lightest = min(upper_mass_kg, lower_mass_kg)
    xml = f"""
<mujoco model="double_pendulum">
  <option integrator="RK4" gravity="0 0 {-gravity_m_per_s2:.17g}"/>
  <worldbody>
    <body name="upper">
      <joint name="shoulder" type="hinge" axis="0 -1 0" damping="{damping}"/>
      {_point_mass(upper_mass_kg, upper_length_m, lightest)}
      <body name="lower" pos="0 0 {-upper_length_m:.17g}">
        <joint name="elbow" type="hinge" axis="0 -1 0" damping="{damping}"/>
        {_point_mass(lower_mass_kg, lower_length_m, lightest)}
      </body>
    </body>
  </worldbody>
</mujoco>"""
    model, data = _sim.compile_scene(xml)
    upper0 = math.radians(upper_initial_angle_deg)
    lower0 = math.radians(lower_initial_angle_deg)
    data.qpos[:] = (upper0, lower0 - upper0)  # the elbow hinge measures the lower rod relative to the upper
    w_upper0 = math.radians(upper_initial_angular_velocity_deg_per_s)
    w_lower0 = math.radians(lower_initial_angular_velocity_deg_per_s)
    data.qvel[:] = (w_upper0, w_lower0 - w_upper0)
    g, damping, fits = gravity_m_per_s2, joint_damping_n_m_s_per_rad, duration_s / _sim.MAX_STEPS

    def needs(
        m1: float = upper_mass_kg,
        m2: float = lower_mass_kg,
        l1: float = upper_length_m,
        l2: float = lower_length_m,
        damping: float = damping,
        speeds: float = 1.0,
    ) -> StepNeeds:
        w1, w2 = speeds * w_upper0, speeds * w_lower0
        return StepNeeds(
            _double_pendulum_fastest_rate(l1, l2, m1, m2, w1, w2, upper0, lower0, g),
            _double_pendulum_damping_rate(l1, l2, m1, m2, damping),
        )

    def advice() -> str:
        # each argument alone, the others as given: the range of it that fits the step limit for this duration
        options = []
        if damping > 0 and (most := fitting_bound(lambda c: needs(damping=c).step_s, damping, 0.0, fits)) is not None:
            options.append(f"joint_damping_n_m_s_per_rad at most {_down(most)}")
        for name, knob, value, limit, word, rounded in (
            ("upper_mass_kg", lambda m: needs(m1=m).step_s, upper_mass_kg, 1000.0, "at least", _up),
            ("lower_mass_kg", lambda m: needs(m2=m).step_s, lower_mass_kg, 0.001, "at most", _down),
            ("upper_length_m", lambda x: needs(l1=x).step_s, upper_length_m, 100.0, "at least", _up),
            ("lower_length_m", lambda x: needs(l2=x).step_s, lower_length_m, 100.0, "at least", _up),
        ):
            if (bound := fitting_bound(knob, value, limit, fits)) is not None:
                options.append(f"{name} {word} {rounded(bound)}")
        if (w_upper0 or w_lower0) and (most := fitting_bound(lambda k: needs(speeds=k).step_s, 1.0, 0.0, fits)):
            options.append(f"both initial angular velocities at most {_down(most)} times the given ones")
        return ", or ".join(options) or "heavier bobs and longer rods together, slower starts or less damping"

    step = swing_timestep("double pendulum", timestep_s, needs(), duration_s, advice)
    result = _sim.run(model, data, duration_s, step)

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
