"""A differential-drive vehicle: two wheels driven by velocity servos, a frictionless rear caster."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

import numpy as np

from toolwise.tools import ToolError, tool
from toolwise.tools.mujoco import _sim
from toolwise.tools.mujoco._contact import FRICTION_SOLREF
from toolwise.tools.mujoco._params import Duration, Friction, Gravity, Mass, SampleCount, Timestep, bounded

VEHICLE_TIMESTEP_S = 0.0005  # 1 ms drifts ~4 % in position on fast turns; 0.5 ms is within 0.5 % of 0.25 ms
SERVO_GAIN_PER_KG_M2 = 20.0  # kv = 20 * total mass * radius^2: a 0.05 s servo time constant
WHEEL_MASS_FRACTION = 0.05
# The wheels carry WHEEL_LOAD_FRACTION of the weight at rest (centre of mass 0.46 r behind the axle, caster 1.5 r
# behind it); driving forward with a total traction F moves F * h / (1.5 r) = F / 1.5 of that load onto the caster
# (centre of mass at about the axle height h = r). Friction can give at most mu * (N - F / 1.5), so the traction a
# wheel can hold is mu N / (1 + mu / 1.5); the torque cap asks for at most TRACTION_MARGIN of it, so the wheels roll
# without spinning (issue 18: the old cap of 0.25 mu m g r per wheel spun them for the first 0.3 s of a start).
WHEEL_LOAD_FRACTION = 0.69
LOAD_TRANSFER_PER_TRACTION = 1 / 1.5
TRACTION_MARGIN = 0.5
MAX_TILT_DEG = 20.0  # a chassis tilted further has left 'driving on flat ground' (it is rolling over)

MIN_VEHICLE_TIMESTEP_S = 1e-4
# a run is kept when the run at twice its step ends within these of it (first-order convergence: the difference
# bounds the kept run's error): position within 0.5 % of the distance travelled + 1 mm, heading within 0.5 % of
# the range it turned through + 0.2 degrees
POSITION_TOLERANCE = 0.005
POSITION_FLOOR_M = 1e-3
HEADING_TOLERANCE = 0.005
HEADING_FLOOR_DEG = 0.2
MIN_TORQUE_N_M = 1e-12  # a torque cap below this is no grip: the wheels stay still
# the wheels skid when their contact points slip faster than this (plus 1 % of the commanded rim speed) for more
# than SKID_FRACTION of the run; rolling wheels slip by about a millimetre per second (soft friction creep)
SKID_SPEED_M_PER_S = 0.05
SKID_FRACTION = 0.05
SKID_RIM_FRACTION = 0.01

WheelRadius = Annotated[float, bounded(0.02, 1.0)]
Track = Annotated[float, bounded(0.1, 3.0)]
WheelSpeed = Annotated[float, bounded(-100.0, 100.0)]


def wheel_slip_m_per_s(result: _sim.Run, half_track: float, radius: float) -> np.ndarray:
    """The larger of the two wheels' ground slip speeds (contact-point velocity along the ground), per step."""
    rot = _sim.rotation_matrices(result.qpos[:, 3:7])
    omega = np.einsum("nij,nj->ni", rot, result.qvel[:, 3:6])  # chassis angular velocity, world frame
    axle = rot[:, :, 1]  # the wheels' hinge axis (chassis y) in the world frame
    down = np.array([0.0, 0.0, -radius])
    slips = []
    for side, spin in ((1.0, result.qvel[:, 6]), (-1.0, result.qvel[:, 7])):
        centre = result.qvel[:, 0:3] + np.cross(omega, side * half_track * axle)
        contact = centre + np.cross(omega + spin[:, None] * axle, down)
        slips.append(np.hypot(contact[:, 0], contact[:, 1]))
    return np.maximum(*slips)


def refuse_skidding(result: _sim.Run, slip: np.ndarray, rim_speed_m_per_s: float) -> None:
    """ToolError when the wheels skid (the turn asks for more grip than friction gives), which is not modelled."""
    skidding = slip > SKID_SPEED_M_PER_S + SKID_RIM_FRACTION * rim_speed_m_per_s
    dt = np.diff(result.time_s)
    if float(dt[skidding[1:]].sum()) > SKID_FRACTION * result.duration_s:
        raise ToolError(
            f"the wheels skid for {float(dt[skidding[1:]].sum()):.3g} s of the run (their contact points slip on the "
            f"ground at up to {float(slip.max()):.3g} m/s): "
            "this scene models a vehicle whose wheels roll without slipping; the turn needs more grip than the "
            "friction gives (sideways acceleration speed × yaw rate above friction_coefficient × g): use slower "
            "wheel speeds, a gentler turn (closer left and right speeds) or more friction"
        )


def _vehicle_xml(r: float, half_track: float, chassis_mass: float, mu: float, g: float) -> tuple[str, bool]:
    """The MJCF of the vehicle, and whether its wheels have any grip (a torque cap above zero)."""
    wheel_mass = WHEEL_MASS_FRACTION * chassis_mass
    total_mass = chassis_mass + 2 * wheel_mass
    kv = SERVO_GAIN_PER_KG_M2 * total_mass * r * r
    traction = mu * WHEEL_LOAD_FRACTION * total_mass * g / (1 + LOAD_TRANSFER_PER_TRACTION * mu)
    max_torque = TRACTION_MARGIN * traction / 2 * r
    # without grip (friction 0, or so little that the cap underflows) the servos can apply no torque at all
    gripping = max_torque > MIN_TORQUE_N_M
    torque_range = f'forcelimited="true" forcerange="{-max_torque:.17g} {max_torque:.17g}"' if gripping else ""
    # the chassis spans x in [-2r, r] around the axle, so the wheels carry most of its weight
    chassis = f'size="{1.5 * r:.17g} {half_track - 0.03:.17g} {0.25 * r:.17g}" pos="{-0.5 * r:.17g} 0 0"'
    # a wheel touches the ground through a sphere of its radius: one steady rolling contact point (MuJoCo's
    # cylinder-plane contacts flicker between rim points as the wheel turns, which makes the servos stutter)
    wheel = f'type="sphere" size="{r:.17g}" mass="{wheel_mass:.17g}"'
    xml = f"""
<mujoco model="diff_drive_vehicle">
  <option integrator="implicitfast" cone="elliptic" impratio="10" gravity="0 0 {-g:.17g}"/>
  <default><geom solref="{FRICTION_SOLREF}" friction="{mu:.17g} 0 0"/></default>
  <worldbody>
    <geom name="ground" type="plane" size="0 0 1"/>
    <body name="chassis" pos="0 0 {r:.17g}">
      <freejoint/>
      <geom name="chassis" type="box" {chassis} mass="{chassis_mass:.17g}"/>
      <geom name="caster" type="sphere" size="{0.5 * r:.17g}" pos="{-1.5 * r:.17g} 0 {-0.5 * r:.17g}"
            mass="{0.01 * chassis_mass:.17g}" condim="1" priority="1"/>
      <body name="left_wheel" pos="0 {half_track:.17g} 0">
        <joint name="left" type="hinge" axis="0 1 0"/>
        <geom name="left_wheel" {wheel}/>
      </body>
      <body name="right_wheel" pos="0 {-half_track:.17g} 0">
        <joint name="right" type="hinge" axis="0 1 0"/>
        <geom name="right_wheel" {wheel}/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <velocity name="left" joint="left" kv="{kv:.17g}" {torque_range}/>
    <velocity name="right" joint="right" kv="{kv:.17g}" {torque_range}/>
  </actuator>
</mujoco>"""
    return xml, gripping


def _vehicle_series(result: _sim.Run) -> dict[str, np.ndarray]:
    x, y = result.qpos[:, 0], result.qpos[:, 1]
    w, qx, qy, qz = result.qpos[:, 3:7].T
    heading = np.unwrap(np.arctan2(2 * (w * qz + qx * qy), 1 - 2 * (qy * qy + qz * qz)))
    vx, vy = result.qvel[:, 0], result.qvel[:, 1]
    speed = np.hypot(vx, vy)
    return {
        "x_m": x,
        "y_m": y,
        "heading_deg": np.degrees(heading),
        "forward_speed_m_per_s": vx * np.cos(heading) + vy * np.sin(heading),
        "distance_from_start_m": np.hypot(x, y),
        "left_wheel_speed_rad_per_s": result.qvel[:, 6],
        "right_wheel_speed_rad_per_s": result.qvel[:, 7],
        "distance_travelled_m": np.concatenate(
            [[0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1]) * np.diff(result.time_s))]
        ),
    }


def _try(
    simulate: Callable[[float], tuple[_sim.Run, dict[str, np.ndarray]]], step_s: float
) -> tuple[_sim.Run, dict[str, np.ndarray]] | None:
    """The comparison run at a coarser step, or None when that step is too coarse to run at all."""
    try:
        return simulate(step_s)
    except ToolError:
        return None


def _agrees(coarse: dict[str, np.ndarray], fine: dict[str, np.ndarray]) -> bool:
    """Whether two runs end in the same place and heading within the stated tolerances."""
    travelled = float(fine["distance_travelled_m"][-1])
    moved = math.hypot(coarse["x_m"][-1] - fine["x_m"][-1], coarse["y_m"][-1] - fine["y_m"][-1])
    turned = float(fine["heading_deg"].max() - fine["heading_deg"].min())
    turn_error = abs(float(coarse["heading_deg"][-1] - fine["heading_deg"][-1]))
    return (
        moved <= POSITION_TOLERANCE * travelled + POSITION_FLOOR_M
        and turn_error <= HEADING_TOLERANCE * turned + HEADING_FLOOR_DEG
    )


def refuse_tipping(result: _sim.Run) -> None:
    """ToolError when the chassis tilts past MAX_TILT_DEG: it is rolling over, which is not modelled."""
    _, qx, qy, _ = result.qpos[:, 3:7].T
    upright = 1 - 2 * (qx * qx + qy * qy)  # cosine of the chassis tilt from level
    limit = math.cos(math.radians(MAX_TILT_DEG))
    if upright.min() < limit:
        tipped = float(result.time_s[int(np.argmax(upright < limit))])
        raise ToolError(
            f"the vehicle tips over at t = {tipped:.3g} s (its chassis tilts more than {MAX_TILT_DEG:g}°): this scene "
            "models driving on flat ground; use a wider track, smaller wheels or slower, gentler turns"
        )


@tool
def simulate_diff_drive_vehicle(
    left_wheel_speed_rad_per_s: WheelSpeed,
    right_wheel_speed_rad_per_s: WheelSpeed,
    wheel_radius_m: WheelRadius,
    track_width_m: Track,
    chassis_mass_kg: Mass,
    duration_s: Duration,
    friction_coefficient: Friction = 1.0,
    gravity_m_per_s2: Gravity = 9.81,
    timestep_s: Timestep = VEHICLE_TIMESTEP_S,
    n_samples: SampleCount = 11,
) -> dict:
    """Simulate a two-wheeled differential-drive vehicle on flat ground with MuJoCo.

    The vehicle starts at rest at the origin facing +x (heading 0°), with the left wheel on the +y side. Each
    wheel is driven by a velocity servo, torque = kv * (target - wheel speed) with kv = 20 * total mass *
    wheel_radius^2, capped at half the traction friction can give (allowing for the load that driving moves onto
    the caster), so the wheels roll without spinning: the vehicle speeds up at most at 0.35 mu g / (1 + mu / 1.5)
    until the wheels reach their targets, and in turns the servos hold the wheels a little off target. Each
    wheel meets the ground at one point (its contact shape is a sphere of the wheel radius); a frictionless caster supports the rear, and the centre of mass sits behind the axle.
    The chassis weighs chassis_mass_kg and each wheel 5 % of that. Heading is in degrees, counter-clockwise
    seen from above (toward +y), not wrapped; positions are of the chassis origin, midway between the wheel
    centres. Returns final values (including the actual wheel speeds), max and min over every integration step
    and the trajectory at n_samples evenly spaced times. The run covers exactly duration_s of physical time.

    Args:
        left_wheel_speed_rad_per_s: target angular speed of the left wheel in rad/s (positive drives forward).
        right_wheel_speed_rad_per_s: target angular speed of the right wheel in rad/s (positive drives forward).
        wheel_radius_m: radius of both wheels in metres.
        track_width_m: distance between the two wheels' contact points in metres.
        chassis_mass_kg: mass of the chassis in kg.
        duration_s: simulated physical time in seconds (at most 30).
        friction_coefficient: Coulomb friction coefficient between wheels and ground.
        gravity_m_per_s2: magnitude of gravitational acceleration in m/s^2.
        timestep_s: largest integration step in seconds (implicit-fast Euler); the run is repeated at half the
            step until it ends within 0.5 % of the distance travelled of the run at twice its step (timestep_s
            in the result is the step used). Drives whose wheels skid or that tip over are refused.
        n_samples: number of evenly spaced trajectory samples to return, including t = 0 and the end.
    """
    r, half_track = wheel_radius_m, track_width_m / 2
    left, right = left_wheel_speed_rad_per_s, right_wheel_speed_rad_per_s
    xml, gripping = _vehicle_xml(r, half_track, chassis_mass_kg, friction_coefficient, gravity_m_per_s2)

    def simulate(step_s: float) -> tuple[_sim.Run, dict[str, np.ndarray]]:
        model, data = _sim.compile_scene(xml)
        data.ctrl[:] = (left, right) if gripping else (0.0, 0.0)
        run = _sim.run(model, data, duration_s, step_s)
        return run, _vehicle_series(run)

    # the contact and servo dynamics converge at first order in the step: a run is kept once it agrees with
    # the run at twice its step (the difference bounds its own error), else the step is halved (issue 18)
    coarse = _try(simulate, 2 * timestep_s)
    step = timestep_s
    while True:
        result, series = simulate(step)
        refuse_tipping(result)  # rolling over and skidding are not modelled: refused at whatever step shows them
        refuse_skidding(result, wheel_slip_m_per_s(result, half_track, r), r * max(abs(left), abs(right)))
        if coarse is not None and _agrees(coarse[1], series):
            break
        if step / 2 < MIN_VEHICLE_TIMESTEP_S or math.ceil(duration_s / (step / 2) - 1e-9) > _sim.MAX_STEPS:
            raise ToolError(
                f"this drive does not converge: at a {step:.3g} s step its path still moves by more than "
                f"{100 * POSITION_TOLERANCE:g} % of the distance travelled when the step is halved; use slower "
                "wheel speeds, gentler turns or a shorter duration_s"
            )
        coarse, step = (result, series), step / 2
    extremes = ["x_m", "y_m", "heading_deg", "forward_speed_m_per_s", "distance_from_start_m"]
    return _sim.summary("diff_drive_vehicle", result, series, extremes, {}, n_samples)
