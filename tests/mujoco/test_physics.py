"""The MuJoCo scene tools against physics that can be written down: closed forms and conservation laws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ellipk

from toolwise.tools.mujoco import (
    simulate_ball_hits_box_on_post,
    simulate_bouncing_ball,
    simulate_diff_drive_vehicle,
    simulate_double_pendulum,
    simulate_pendulum,
    simulate_rolling_ball,
    simulate_sliding_box,
    simulate_sphere_collision,
)


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


@pytest.mark.parametrize(("length", "gravity"), [(1.0, 9.81), (0.3, 9.81), (2.5, 3.7)])
def test_small_angle_pendulum_period_is_two_pi_root_l_over_g(length: float, gravity: float) -> None:
    period = 2 * math.pi * math.sqrt(length / gravity)
    out = simulate_pendulum(length, 0.5, 2.0, 4 * period, gravity_m_per_s2=gravity)
    assert rel(out["events"]["mean_period_s"], period) < 0.005


@pytest.mark.parametrize("amplitude_deg", [30.0, 90.0, 150.0])
def test_large_swing_quarter_period_matches_the_elliptic_integral(amplitude_deg: float) -> None:
    length, g = 1.2, 9.81
    quarter = math.sqrt(length / g) * ellipk(math.sin(math.radians(amplitude_deg) / 2) ** 2)
    out = simulate_pendulum(length, 1.0, amplitude_deg, 2 * quarter)
    assert rel(out["events"]["first_vertical_passage_time_s"], quarter) < 0.001


def test_pendulum_angle_sign_convention_puts_positive_angles_on_plus_x() -> None:
    out = simulate_pendulum(1.0, 1.0, 30.0, 0.1)
    assert out["samples"]["bob_x_m"][0] == pytest.approx(math.sin(math.radians(30)), rel=1e-4)
    assert out["final"]["angular_velocity_deg_per_s"] < 0  # it swings back toward the vertical


def test_frictionless_pendulum_conserves_energy_within_a_tenth_of_a_percent() -> None:
    out = simulate_pendulum(1.0, 2.0, 120.0, 10.0, initial_angular_velocity_deg_per_s=50.0, n_samples=101)
    energy = np.array(out["samples"]["mechanical_energy_J"])
    assert np.abs(energy / energy[0] - 1).max() < 1e-3


def test_frictionless_double_pendulum_conserves_energy_within_a_tenth_of_a_percent() -> None:
    out = simulate_double_pendulum(1.0, 0.7, 1.0, 0.5, 90.0, 150.0, 8.0, n_samples=101)
    energy = np.array(out["samples"]["mechanical_energy_J"])
    assert np.abs(energy / energy[0] - 1).max() < 1e-3


def test_pivot_damping_removes_energy() -> None:
    out = simulate_pendulum(1.0, 1.0, 40.0, 5.0, pivot_damping_n_m_s_per_rad=0.2, n_samples=21)
    energy = out["samples"]["mechanical_energy_J"]
    assert np.all(np.diff(energy) <= 1e-9)
    assert energy[-1] < 0.5 * energy[0]


def test_double_pendulum_small_swing_follows_the_slow_normal_mode() -> None:
    # equal masses and lengths: the in-phase mode has omega^2 = (2 - sqrt 2) g / L and ratio theta2/theta1 = sqrt 2
    length, g = 1.0, 9.81
    omega = math.sqrt((2 - math.sqrt(2)) * g / length)
    out = simulate_double_pendulum(length, length, 1.0, 1.0, 2.0, 2.0 * math.sqrt(2), math.pi / omega)
    assert rel(out["events"]["upper_first_vertical_passage_time_s"], math.pi / (2 * omega)) < 0.005
    assert out["final"]["upper_angle_deg"] == pytest.approx(-2.0, abs=0.02)


@pytest.mark.parametrize(("speed", "angle_deg"), [(6.0, 40.0), (9.0, 65.0), (4.0, 20.0)])
def test_projectile_range_apex_and_flight_time_without_drag(speed: float, angle_deg: float) -> None:
    g, radius = 9.81, 0.1
    vx, vz = speed * math.cos(math.radians(angle_deg)), speed * math.sin(math.radians(angle_deg))
    out = simulate_bouncing_ball(radius, 0.4, vx, vz, 2 * vz / g + 0.1)
    assert rel(out["events"]["landing_x_m"][0], speed**2 * math.sin(math.radians(2 * angle_deg)) / g) < 0.005
    assert rel(out["max"]["z_m"] - radius, vz**2 / (2 * g)) < 0.005
    assert rel(out["events"]["landing_times_s"][0], 2 * vz / g) < 0.005


def test_drag_brings_a_falling_ball_to_terminal_speed() -> None:
    mass, c, g = 0.5, 0.2, 9.81
    out = simulate_bouncing_ball(0.05, mass, 0.0, 0.0, 3.0, initial_height_m=80.0, drag_coefficient_kg_per_m=c)
    assert rel(-out["final"]["vz_m_per_s"], math.sqrt(mass * g / c)) < 0.005


def test_drag_slows_a_throw() -> None:
    free = simulate_bouncing_ball(0.1, 0.4, 5.0, 5.0, 1.2)
    dragged = simulate_bouncing_ball(0.1, 0.4, 5.0, 5.0, 1.2, drag_coefficient_kg_per_m=0.05)
    assert dragged["events"]["landing_x_m"][0] < 0.95 * free["events"]["landing_x_m"][0]


@pytest.mark.parametrize("restitution", [0.9, 0.7, 0.5])
def test_bounce_height_scales_with_restitution_squared(restitution: float) -> None:
    radius, drop = 0.1, 1.0
    out = simulate_bouncing_ball(radius, 0.3, 0.0, 0.0, 1.5, initial_height_m=drop, restitution=restitution)
    rebound = out["events"]["max_height_after_each_landing_m"][0] - radius
    assert rel(math.sqrt(rebound / drop), restitution) < 0.03


def test_equal_masses_exchange_velocities_in_an_elastic_head_on_collision() -> None:
    out = simulate_sphere_collision(0.1, 1.0, -1.0, 0.0, 2.0, 0.0, 0.1, 1.0, 0.0, 0.0, 0.0, 0.0, 1.5)
    final = out["final"]
    assert abs(final["sphere1_vx_m_per_s"]) < 0.01 * 2.0
    assert rel(final["sphere2_vx_m_per_s"], 2.0) < 0.01
    assert out["events"]["first_contact_time_s"] == pytest.approx(0.8 / 2.0, abs=1e-3)


@pytest.mark.parametrize(("m1", "m2", "e"), [(1.0, 3.0, 0.5), (2.0, 0.5, 0.8), (1.0, 1.0, 0.3)])
def test_head_on_collision_follows_newtons_restitution_law(m1: float, m2: float, e: float) -> None:
    u1, u2 = 2.0, -1.0
    out = simulate_sphere_collision(0.1, m1, -1.0, 0.0, u1, 0.0, 0.15, m2, 0.0, 0.0, u2, 0.0, 1.5, restitution=e)
    v1 = ((m1 - e * m2) * u1 + (1 + e) * m2 * u2) / (m1 + m2)
    v2 = ((m2 - e * m1) * u2 + (1 + e) * m1 * u1) / (m1 + m2)
    final = out["final"]
    assert final["sphere1_vx_m_per_s"] == pytest.approx(v1, abs=0.03 * abs(u1 - u2))
    assert final["sphere2_vx_m_per_s"] == pytest.approx(v2, abs=0.03 * abs(u1 - u2))
    momentum = m1 * final["sphere1_vx_m_per_s"] + m2 * final["sphere2_vx_m_per_s"]
    assert momentum == pytest.approx(m1 * u1 + m2 * u2, abs=1e-3)


def test_oblique_collision_conserves_momentum_and_elastic_energy() -> None:
    out = simulate_sphere_collision(0.1, 1.0, -1.0, 0.08, 2.0, 0.0, 0.12, 2.0, 0.0, 0.0, 0.0, 0.0, 1.5)
    final = out["final"]
    px = final["sphere1_vx_m_per_s"] + 2.0 * final["sphere2_vx_m_per_s"]
    py = final["sphere1_vy_m_per_s"] + 2.0 * final["sphere2_vy_m_per_s"]
    assert px == pytest.approx(2.0, abs=2e-3) and py == pytest.approx(0.0, abs=2e-3)
    assert final["sphere2_vy_m_per_s"] < -0.1  # pushed off the line of approach
    assert rel(final["kinetic_energy_J"], 2.0) < 0.005


@pytest.mark.parametrize(
    ("angle_deg", "mu"), [(30.0, 0.3), (30.0, 0.6), (20.0, 0.5), (35.0, 0.5), (10.0, 0.2), (40.0, 0.8)]
)
def test_block_on_incline_slides_iff_tan_theta_exceeds_mu_with_coulomb_acceleration(
    angle_deg: float, mu: float
) -> None:
    g, duration = 9.81, 1.0
    theta = math.radians(angle_deg)
    out = simulate_sliding_box(angle_deg, mu, 0.2, 1.0, 0.0, duration)
    moved = -out["final"]["position_along_slope_m"]
    if math.tan(theta) > mu:
        acceleration = g * (math.sin(theta) - mu * math.cos(theta))
        assert rel(moved, 0.5 * acceleration * duration**2) < 0.01
    else:
        assert abs(moved) < 1e-3
        assert out["events"]["at_rest_from_time_s"] == 0.0


def test_box_pushed_up_a_slope_stops_where_coulomb_friction_says() -> None:
    g, v0, theta, mu = 9.81, 3.0, math.radians(20.0), 0.2
    deceleration = g * (math.sin(theta) + mu * math.cos(theta))
    out = simulate_sliding_box(20.0, mu, 0.2, 1.0, v0, 1.5)
    assert rel(out["max"]["position_along_slope_m"], v0**2 / (2 * deceleration)) < 0.005
    assert rel(out["events"]["highest_point_time_s"], v0 / deceleration) < 0.01


def test_box_on_a_flat_plane_comes_to_rest_after_v_over_mu_g() -> None:
    out = simulate_sliding_box(0.0, 0.4, 0.2, 2.0, 3.0, 1.5)
    # the event is when the speed drops below 1 cm/s for good: 0.01 / (mu g) before the full stop
    assert out["events"]["at_rest_from_time_s"] == pytest.approx((3.0 - 0.01) / (0.4 * 9.81), rel=0.005)
    assert rel(out["final"]["position_along_slope_m"], 3.0**2 / (2 * 0.4 * 9.81)) < 0.005


@pytest.mark.parametrize(
    ("radius", "mu", "v0", "spin0"), [(0.1, 0.3, 3.0, 0.0), (0.1, 0.3, 3.0, -20.0), (0.2, 0.5, -2.0, 5.0)]
)
def test_sliding_ball_settles_into_rolling_at_five_sevenths(radius: float, mu: float, v0: float, spin0: float) -> None:
    g = 9.81
    out = simulate_rolling_ball(radius, 1.0, mu, v0, spin0, 2.0)
    v_final = (5 * v0 + 2 * radius * spin0) / 7
    assert out["final"]["velocity_m_per_s"] == pytest.approx(v_final, abs=0.005 * abs(v0))
    assert out["final"]["spin_rad_per_s"] == pytest.approx(v_final / radius, abs=0.005 * abs(v0) / radius)
    t_roll = 2 * abs(v0 - radius * spin0) / (7 * mu * g)
    assert out["events"]["rolling_without_slipping_from_time_s"] == pytest.approx(t_roll, rel=0.02)


def test_drag_slows_a_rolling_ball_but_never_acts_on_its_spin_directly() -> None:
    free = simulate_rolling_ball(0.1, 1.0, 0.5, 3.0, 30.0, 2.0)
    dragged = simulate_rolling_ball(0.1, 1.0, 0.5, 3.0, 30.0, 2.0, drag_coefficient_kg_per_m=0.05)
    assert dragged["final"]["velocity_m_per_s"] < free["final"]["velocity_m_per_s"] - 0.1
    # still rolling without slipping at the end: the ground, not the air, slows the spin
    assert abs(dragged["final"]["slip_velocity_m_per_s"]) < 0.01


def test_straight_vehicle_drives_at_wheel_radius_times_wheel_speed() -> None:
    out = simulate_diff_drive_vehicle(6.0, 6.0, 0.1, 0.4, 2.0, 3.0)
    assert rel(out["final"]["forward_speed_m_per_s"], 0.6) < 0.01
    assert abs(out["final"]["y_m"]) < 1e-6 and abs(out["final"]["heading_deg"]) < 1e-6


@pytest.mark.parametrize(("left", "right"), [(4.0, 6.0), (-3.0, 3.0), (2.0, 12.0)])
def test_vehicle_turns_at_the_differential_drive_yaw_rate(left: float, right: float) -> None:
    radius, track = 0.1, 0.4
    out = simulate_diff_drive_vehicle(left, right, radius, track, 2.0, 3.0, n_samples=31)
    t, heading = np.array(out["samples"]["t_s"]), np.array(out["samples"]["heading_deg"])
    late = t >= 1.0  # after the wheels have spun up
    yaw_rate = np.polyfit(t[late], heading[late], 1)[0]
    final = out["final"]
    wheel_left, wheel_right = final["left_wheel_speed_rad_per_s"], final["right_wheel_speed_rad_per_s"]
    # rolling without slipping: the kinematics of the wheels' actual speeds hold tightly...
    assert rel(yaw_rate, math.degrees(radius * (wheel_right - wheel_left) / track)) < 0.005
    assert final["forward_speed_m_per_s"] == pytest.approx(radius * (wheel_left + wheel_right) / 2, abs=2e-3)
    # ...and the servos hold the wheels near their targets
    assert rel(yaw_rate, math.degrees(radius * (right - left) / track)) < 0.03
    assert final["forward_speed_m_per_s"] == pytest.approx(radius * (left + right) / 2, abs=0.01)


def test_a_well_aimed_ball_knocks_the_box_off_the_post() -> None:
    distance, height, box, g = 3.0, 1.5, 0.3, 9.81
    vx = 5.0
    x_hit, z_hit = distance - box / 2 - 0.1, height + box / 2 - 0.1  # ball centre at the box's face
    vz = (z_hit + 0.5 * g * (x_hit / vx) ** 2) / (x_hit / vx)
    out = simulate_ball_hits_box_on_post(distance, height, box, 0.5, 0.1, 1.0, vx, vz, 2.0)
    events = out["events"]
    assert events["ball_first_touches_box_time_s"] == pytest.approx(x_hit / vx, rel=0.01)
    assert events["ball_first_touches_box_time_s"] < events["box_below_post_top_time_s"]
    assert events["box_below_post_top_time_s"] < events["box_touches_ground_time_s"]
    assert events["box_x_when_touching_ground_m"] > distance
    assert out["final"]["box_z_m"] < height


def test_a_ball_that_falls_short_leaves_the_box_in_place() -> None:
    out = simulate_ball_hits_box_on_post(4.0, 1.5, 0.3, 0.5, 0.1, 1.0, 2.0, 2.0, 2.0)
    assert out["events"]["ball_first_touches_box_time_s"] is None
    assert out["events"]["box_below_post_top_time_s"] is None
    assert out["final"]["box_z_m"] == pytest.approx(1.65, abs=2e-3)
    assert out["max"]["box_tilt_deg"] < 0.5
