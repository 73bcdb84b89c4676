"""MuJoCo physics scenes as tools: each builds a scene from parameters, simulates it headless and summarises it.

Importing this package registers every scene tool. Every tool simulates exactly the stated physical time and
returns final values, extremes over every integration step, scene events and a coarse trajectory.
"""

from toolwise.tools.mujoco.ball_game import simulate_ball_hits_box_on_post
from toolwise.tools.mujoco.collision import simulate_sphere_collision
from toolwise.tools.mujoco.pendulum import simulate_double_pendulum, simulate_pendulum
from toolwise.tools.mujoco.projectile import simulate_bouncing_ball
from toolwise.tools.mujoco.rolling_ball import simulate_rolling_ball
from toolwise.tools.mujoco.sliding_box import simulate_sliding_box
from toolwise.tools.mujoco.vehicle import simulate_diff_drive_vehicle

SCENE_TOOLS = (
    simulate_pendulum,
    simulate_double_pendulum,
    simulate_bouncing_ball,
    simulate_sphere_collision,
    simulate_sliding_box,
    simulate_rolling_ball,
    simulate_ball_hits_box_on_post,
    simulate_diff_drive_vehicle,
)

__all__ = [
    "SCENE_TOOLS",
    "simulate_ball_hits_box_on_post",
    "simulate_bouncing_ball",
    "simulate_diff_drive_vehicle",
    "simulate_double_pendulum",
    "simulate_pendulum",
    "simulate_rolling_ball",
    "simulate_sliding_box",
    "simulate_sphere_collision",
]
