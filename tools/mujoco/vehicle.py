"""A differential-drive vehicle: two wheels driven by velocity servos, a frictionless rear caster."""

from __future__ import annotations

import math
from typing import Annotated

import mujoco
import numpy as np

from toolwise.tools import ToolError, tool
from toolwise.tools.mujoco import _sim
from toolwise.tools.mujoco._contact import FRICTION_SOLREF
from toolwise.tools.mujoco._params import Duration, Friction, Gravity, Mass, SampleCount, Timestep, bounded

VEHICLE_TIMESTEP_S = 0.0005  # 1 ms drifts ~4 % in position on fast turns; 0.5 ms is within 0.5 % of 0.25 ms
SERVO_GAIN_PER_KG_M2 = 20.0  # kv = 20 * total mass * radius^2: a 0.05 s servo time constant
WHEEL_MASS_FRACTION = 0.05
TORQUE_LIMIT_FRACTION = 0.25  # each wheel weighs 5 % of the chassis
MAX_TILT_DEG = 20.0  # a chassis tilted further has left 'driving on flat ground' (it is rolling over)

WheelRadius = Annotated[float, bounded(0.02, 1.0)]
Track = Annotated[float, bounded(0.1, 3.0)]
WheelSpeed = Annotated[float, bounded(-100.0, 100.0)]


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
    wheel_radius^2, capped at 0.25 * friction_coefficient * total weight * wheel_radius so the wheels never
    spin on the ground; they reach their targets within a few tenths of a second, and in turns the servos hold
    the wheels a little off target. Each wheel meets the ground at one point (its contact shape is a sphere of
    the wheel radius); a frictionless caster supports the rear, and the centre of mass sits behind the axle.
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
        timestep_s: integration step in seconds (implicit-fast Euler); smaller is more accurate and slower.
        n_samples: number of evenly spaced trajectory samples to return, including t = 0 and the end.
    """
    r, half_track = wheel_radius_m, track_width_m / 2
    wheel_mass = WHEEL_MASS_FRACTION * chassis_mass_kg
    total_mass = chassis_mass_kg + 2 * wheel_mass
    kv = SERVO_GAIN_PER_KG_M2 * total_mass * r * r
    # each wheel carries about 0.37 of the weight: capping its torque at 0.25 mu m g r never spins it
    max_torque = TORQUE_LIMIT_FRACTION * friction_coefficient * total_mass * gravity_m_per_s2 * r
    torque_range = f'forcerange="{-max_torque:.17g} {max_torque:.17g}"'
    # the chassis spans x in [-2r, r] around the axle, so the wheels carry most of its weight
    chassis = f'size="{1.5 * r:.17g} {half_track - 0.03:.17g} {0.25 * r:.17g}" pos="{-0.5 * r:.17g} 0 0"'
    # a wheel touches the ground through a sphere of its radius: one steady rolling contact point (MuJoCo's
    # cylinder-plane contacts flicker between rim points as the wheel turns, which makes the servos stutter)
    wheel = f'type="sphere" size="{r:.17g}" mass="{wheel_mass:.17g}"'
    xml = f"""
<mujoco model="diff_drive_vehicle">
  <option integrator="implicitfast" cone="elliptic" impratio="10" gravity="0 0 {-gravity_m_per_s2:.17g}"/>
  <default><geom solref="{FRICTION_SOLREF}" friction="{friction_coefficient:.17g} 0 0"/></default>
  <worldbody>
    <geom name="ground" type="plane" size="0 0 1"/>
    <body name="chassis" pos="0 0 {r:.17g}">
      <freejoint/>
      <geom name="chassis" type="box" {chassis} mass="{chassis_mass_kg:.17g}"/>
      <geom name="caster" type="sphere" size="{0.5 * r:.17g}" pos="{-1.5 * r:.17g} 0 {-0.5 * r:.17g}"
            mass="{0.01 * chassis_mass_kg:.17g}" condim="1" priority="1"/>
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
    <velocity name="left" joint="left" kv="{kv:.17g}" forcelimited="true" {torque_range}/>
    <velocity name="right" joint="right" kv="{kv:.17g}" forcelimited="true" {torque_range}/>
  </actuator>
</mujoco>"""
    model = _sim.compile_model(xml)
    data = mujoco.MjData(model)
    data.ctrl[:] = (left_wheel_speed_rad_per_s, right_wheel_speed_rad_per_s)
    result = _sim.run(model, data, duration_s, timestep_s)

    x, y = result.qpos[:, 0], result.qpos[:, 1]
    w, qx, qy, qz = result.qpos[:, 3:7].T
    upright = 1 - 2 * (qx * qx + qy * qy)  # cosine of the chassis tilt from level
    if upright.min() < math.cos(math.radians(MAX_TILT_DEG)):
        tipped = float(result.time_s[int(np.argmax(upright < math.cos(math.radians(MAX_TILT_DEG))))])
        raise ToolError(
            f"the vehicle tips over at t = {tipped:.3g} s (its chassis tilts more than {MAX_TILT_DEG:g}°): this scene "
            "models driving on flat ground; use a wider track, smaller wheels or slower, gentler turns"
        )
    heading = np.unwrap(np.arctan2(2 * (w * qz + qx * qy), 1 - 2 * (qy * qy + qz * qz)))
    vx, vy = result.qvel[:, 0], result.qvel[:, 1]
    speed = np.hypot(vx, vy)
    series = {
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
    extremes = ["x_m", "y_m", "heading_deg", "forward_speed_m_per_s", "distance_from_start_m"]
    return _sim.summary("diff_drive_vehicle", result, series, extremes, {}, n_samples)
