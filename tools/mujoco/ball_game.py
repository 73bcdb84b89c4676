"""Knock the box off: a ball thrown at a fixed post with a box resting on top."""

from __future__ import annotations

import math
from typing import Annotated

import mujoco
import numpy as np

from toolwise.tools import ToolError, tool
from toolwise.tools.mujoco import _sim
from toolwise.tools.mujoco._contact import contact_attributes
from toolwise.tools.mujoco._params import (
    DragCoefficient,
    Duration,
    Friction,
    Gravity,
    Mass,
    Radius,
    Restitution,
    SampleCount,
    Speed,
    Timestep,
    bounded,
)

GAME_TIMESTEP_S = 0.0005  # flight and resting contacts; impacts take IMPACT_TIMESTEP_S steps
IMPACT_TIMESTEP_S = 2e-5  # 500 steps per impact: the rebound within 0.5 % of a converged one (issue 18)
POST_RADIUS_M = 0.1

PostDistance = Annotated[float, bounded(0.5, 50.0)]
PostHeight = Annotated[float, bounded(0.1, 10.0)]
BoxSize = Annotated[float, bounded(0.05, 1.0)]


def _box_lowest_z(box_z: np.ndarray, rot: np.ndarray, half: float) -> np.ndarray:
    """Height of a cube's lowest corner, from its centre height and world-from-body rotations."""
    return box_z - half * np.abs(rot[:, 2, :]).sum(axis=1)


def _sphere_box_gap(ball: np.ndarray, box: np.ndarray, rot: np.ndarray, half: float, radius: float) -> np.ndarray:
    """Distance from a sphere's surface to a cube's surface (negative inside), per step."""
    local = np.einsum("nji,nj->ni", rot, ball - box)  # ball centre in the box frame
    outside = np.linalg.norm(local - np.clip(local, -half, half), axis=1)
    return outside - radius


def _sphere_post_gap(ball: np.ndarray, distance: float, height: float, radius: float) -> np.ndarray:
    """Distance from a sphere's surface to an upright cylinder (axis at x = distance, y = 0, from z = 0)."""
    radial = np.maximum(np.hypot(ball[:, 0] - distance, ball[:, 1]) - POST_RADIUS_M, 0.0)
    above = np.maximum(ball[:, 2] - height, 0.0)
    return np.hypot(radial, above) - radius


@tool
def simulate_ball_hits_box_on_post(
    post_distance_m: PostDistance,
    post_height_m: PostHeight,
    box_size_m: BoxSize,
    box_mass_kg: Mass,
    ball_radius_m: Radius,
    ball_mass_kg: Mass,
    ball_velocity_x_m_per_s: Speed,
    ball_velocity_z_m_per_s: Speed,
    duration_s: Duration,
    restitution: Restitution = 0.5,
    friction_coefficient: Friction = 0.5,
    drag_coefficient_kg_per_m: DragCoefficient = 0.0,
    gravity_m_per_s2: Gravity = 9.81,
    timestep_s: Timestep = GAME_TIMESTEP_S,
    n_samples: SampleCount = 11,
) -> dict:
    """Simulate a ball thrown at a box resting on top of a fixed post ("knock the box off"), with MuJoCo.

    A fixed upright cylindrical post (radius 0.1 m) stands on flat ground with its axis at x = post_distance_m;
    a solid cube rests centred on its flat top. The ball starts on the ground at x = 0 (its lowest point at
    z = 0) and is thrown in the x-z plane. All impacts share one coefficient of restitution and one friction
    coefficient; optional quadratic air drag F = -c |v| v acts on the ball only. Heights are of centres.
    Returns final values, max and min over every integration step, events (when the ball first touches the
    box and the post, when the box's centre drops below the top of the post, when and where (box centre x)
    the box first touches the ground) and the trajectory at n_samples evenly spaced times. The run covers
    exactly duration_s of physical time.

    Args:
        post_distance_m: horizontal distance from the ball's start to the post's axis in metres.
        post_height_m: height of the post's flat top above the ground in metres.
        box_size_m: edge length of the cube resting on the post in metres.
        box_mass_kg: mass of the cube in kg.
        ball_radius_m: radius of the ball in metres.
        ball_mass_kg: mass of the ball in kg (uniform solid sphere).
        ball_velocity_x_m_per_s: initial horizontal velocity of the ball in m/s (positive toward the post).
        ball_velocity_z_m_per_s: initial vertical velocity of the ball in m/s (positive is up).
        duration_s: simulated physical time in seconds (at most 30).
        restitution: coefficient of restitution of every impact, 0.3 to 1.
        friction_coefficient: Coulomb friction coefficient of every contact.
        drag_coefficient_kg_per_m: quadratic drag coefficient c on the ball in F = -c |v| v, in kg/m.
        gravity_m_per_s2: magnitude of gravitational acceleration in m/s^2.
        timestep_s: integration step in seconds (implicit-fast Euler) between impacts; each impact is stepped
            at a tenth of it or 20 microseconds, whichever is finer (impact_timestep_s in the result).
        n_samples: number of evenly spaced trajectory samples to return, including t = 0 and the end.
    """
    if post_distance_m - POST_RADIUS_M < ball_radius_m:
        raise ToolError("the ball would start inside the post: increase post_distance_m or shrink the ball")
    half = box_size_m / 2
    box_z0 = post_height_m + half
    xml = f"""
<mujoco model="ball_game">
  <option integrator="implicitfast" cone="elliptic" impratio="10" gravity="0 0 {-gravity_m_per_s2:.17g}"/>
  <default><geom {contact_attributes(restitution)} friction="{friction_coefficient:.17g} 0 0"/></default>
  <worldbody>
    <geom name="ground" type="plane" size="0 0 1"/>
    <geom name="post" type="cylinder" size="{POST_RADIUS_M} {post_height_m / 2:.17g}"
          pos="{post_distance_m:.17g} 0 {post_height_m / 2:.17g}"/>
    <body name="box" pos="{post_distance_m:.17g} 0 {box_z0:.17g}">
      <freejoint/>
      <geom name="box" type="box" size="{half:.17g} {half:.17g} {half:.17g}" mass="{box_mass_kg:.17g}"/>
    </body>
    <body name="ball" pos="0 0 {ball_radius_m:.17g}">
      <freejoint/>
      <geom name="ball" type="sphere" size="{ball_radius_m:.17g}" mass="{ball_mass_kg:.17g}"/>
    </body>
  </worldbody>
</mujoco>"""
    model, data = _sim.compile_scene(xml)
    data.qvel[6] = ball_velocity_x_m_per_s
    data.qvel[8] = ball_velocity_z_m_per_s
    if drag_coefficient_kg_per_m > 0:  # the speed never exceeds the throw's or the terminal speed
        terminal = math.sqrt(ball_mass_kg * gravity_m_per_s2 / drag_coefficient_kg_per_m)
        fastest = max(math.hypot(ball_velocity_x_m_per_s, ball_velocity_z_m_per_s), terminal)
        _sim.refuse_stiff_drag(drag_coefficient_kg_per_m, ball_mass_kg, fastest, timestep_s)
    drag = _sim.quadratic_drag(model, "ball", drag_coefficient_kg_per_m)

    geom = {name: model.geom(name).id for name in ("ground", "post", "box", "ball")}
    pairs = [("ball", "box"), ("ball", "post"), ("box", "ground")]

    def gap(d: mujoco.MjData) -> float:
        """The smallest clearance between bodies that can strike each other (MuJoCo's geom distance)."""
        found = [mujoco.mj_geomDistance(model, d, geom[a], geom[b], 1.0, None) for a, b in pairs]
        if d.time > 0.05:  # the throw starts on the ground: its first landing comes later
            found.append(mujoco.mj_geomDistance(model, d, geom["ball"], geom["ground"], 1.0, None))
        return min(found)

    def speed(d: mujoco.MjData) -> float:
        box_speed = (
            abs(d.qvel[0]) + abs(d.qvel[1]) + abs(d.qvel[2]) + half * (abs(d.qvel[3]) + abs(d.qvel[4]) + abs(d.qvel[5]))
        )
        return max(abs(d.qvel[6]) + abs(d.qvel[7]) + abs(d.qvel[8]), box_speed)

    impacts = _sim.Impacts(gap=gap, speed=speed, step_s=min(IMPACT_TIMESTEP_S, timestep_s / 10))
    result = _sim.run(model, data, duration_s, timestep_s, before_step=drag, impacts=impacts)

    box, ball = result.qpos[:, 0:3], result.qpos[:, 7:10]
    rot = _sim.rotation_matrices(result.qpos[:, 3:7])
    series = {
        "box_x_m": box[:, 0],
        "box_z_m": box[:, 2],
        "box_vx_m_per_s": result.qvel[:, 0],
        "box_vz_m_per_s": result.qvel[:, 2],
        "box_tilt_deg": np.degrees(np.arccos(np.clip(rot[:, 2, 2], -1.0, 1.0))),
        "ball_x_m": ball[:, 0],
        "ball_z_m": ball[:, 2],
        "ball_vx_m_per_s": result.qvel[:, 6],
        "ball_vz_m_per_s": result.qvel[:, 8],
    }
    box_gap = _sphere_box_gap(ball, box, rot, half, ball_radius_m)
    post_gap = _sphere_post_gap(ball, post_distance_m, post_height_m, ball_radius_m)
    time_s = result.time_s
    events = {
        "ball_first_touches_box_time_s": _sim.first_or_none(_sim.crossing_times(time_s, box_gap, direction=-1)),
        "ball_first_touches_post_time_s": _sim.first_or_none(_sim.crossing_times(time_s, post_gap, direction=-1)),
        "box_below_post_top_time_s": _sim.first_or_none(
            _sim.crossing_times(time_s, box[:, 2] - post_height_m, direction=-1)
        ),
    }
    ground = _sim.crossing_times(time_s, _box_lowest_z(box[:, 2], rot, half), direction=-1)
    events["box_touches_ground_time_s"] = _sim.first_or_none(ground)
    events["box_x_when_touching_ground_m"] = _sim.sig(np.interp(ground[0], time_s, box[:, 0])) if len(ground) else None
    extremes = ["box_x_m", "box_z_m", "box_tilt_deg", "ball_x_m", "ball_z_m"]
    return _sim.summary("ball_game", result, series, extremes, events, n_samples)
