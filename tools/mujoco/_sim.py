"""Stepping a MuJoCo scene for exactly the stated physical time and recording every step.

Every scene tool builds an MJCF model, sets the initial state and calls
:func:`run`. ``run`` shrinks the requested step so that a whole number of steps
lands exactly on the stated duration (a "3 s" run is 3 s of physics, whatever
the step), records ``qpos``/``qvel`` after every step, and refuses runs that
would take too long or that blow up.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import mujoco
import numpy as np

from toolwise.tools import ToolError

MAX_STEPS = 200_000  # about 2 s of wall time for the heaviest scene: a bad request never hangs the harness
SIGNIFICANT_DIGITS = 5


@dataclass(frozen=True)
class Run:
    """A finished simulation: the time of every recorded state and the states themselves."""

    time_s: np.ndarray  # (n + 1,), starts at 0, ends at the stated duration
    qpos: np.ndarray  # (n + 1, nq)
    qvel: np.ndarray  # (n + 1, nv)
    timestep_s: float  # the step actually used (duration / n)
    impact_timestep_s: float | None = None  # the finer step taken through impacts, when the scene refines them

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1])


def compile_scene(xml: str) -> tuple[mujoco.MjModel, mujoco.MjData]:
    """Compile an MJCF string and make its state; a compile failure is a bug in the scene builder."""
    model = mujoco.MjModel.from_xml_string(xml)
    return model, mujoco.MjData(model)


def step_count(duration_s: float, timestep_s: float) -> int:
    """Whole steps needed to cover ``duration_s`` with steps no longer than ``timestep_s``."""
    steps = math.ceil(duration_s / timestep_s - 1e-9)
    if steps > MAX_STEPS:
        raise ToolError(
            f"a {duration_s:g} s run with a {timestep_s:g} s step needs {steps} steps; the limit is {MAX_STEPS}: "
            f"use duration_s at most {MAX_STEPS * timestep_s:.4g} s or timestep_s at least "
            f"{duration_s / MAX_STEPS:.4g} s"
        )
    return max(steps, 1)


@dataclass(frozen=True)
class Impacts:
    """Where a scene's bodies can strike each other, so ``run`` can take fine steps through each impact.

    ``gap(data)`` is the smallest clearance between bodies that may collide (metres, negative while a soft
    contact is compressed) and ``speed(data)`` a bound on how fast that clearance can close. While the gap is
    within two coarse steps of closing, and for ``IMPACT_WINDOW_S`` after, the coarse step is split into
    ``step_s`` sub-steps; a contact that lasts longer is a resting or rolling one and goes back to coarse steps.
    """

    gap: Callable[[mujoco.MjData], float]
    speed: Callable[[mujoco.MjData], float]
    step_s: float


IMPACT_WINDOW_S = 0.012  # a soft impact lasts about 10 ms (less when damped): it is over by then
IMPACT_MIN_SPEED_M_PER_S = 0.2  # slower touches (rebounds under 2 mm, settling, rolling) keep the coarse step


def run(
    model: mujoco.MjModel,
    data: mujoco.MjData,
    duration_s: float,
    timestep_s: float,
    before_step: Callable[[mujoco.MjData], None] | None = None,
    impacts: Impacts | None = None,
) -> Run:
    """Step ``data`` for exactly ``duration_s`` of simulated time, recording the state after each step.

    ``before_step`` runs before every step (e.g. to apply air drag from the current velocity). With ``impacts``
    the steps through each impact are refined (see :class:`Impacts`); every sub-step is recorded.
    """
    steps = step_count(duration_s, timestep_s)
    coarse = duration_s / steps
    if impacts is not None and impacts.step_s < coarse:
        return _run_refining_impacts(model, data, duration_s, steps, before_step, impacts)
    model.opt.timestep = coarse
    mujoco.mj_forward(model, data)
    qpos = np.empty((steps + 1, model.nq))
    qvel = np.empty((steps + 1, model.nv))
    qpos[0], qvel[0] = data.qpos, data.qvel
    for i in range(1, steps + 1):
        if before_step is not None:
            before_step(data)
        mujoco.mj_step(model, data)
        qpos[i], qvel[i] = data.qpos, data.qvel
    _check_stable(data, qpos, qvel)
    time_s = np.arange(steps + 1) * model.opt.timestep
    time_s[-1] = duration_s  # the last state is at the stated time exactly, not a rounding error away
    return Run(time_s=time_s, qpos=qpos, qvel=qvel, timestep_s=float(model.opt.timestep))


def _run_refining_impacts(
    model: mujoco.MjModel,
    data: mujoco.MjData,
    duration_s: float,
    steps: int,
    before_step: Callable[[mujoco.MjData], None] | None,
    impacts: Impacts,
) -> Run:
    coarse = duration_s / steps
    split = math.ceil(coarse / impacts.step_s - 1e-9)
    fine = coarse / split
    mujoco.mj_forward(model, data)
    times = np.empty(steps + 1)
    qpos, qvel = np.empty((steps + 1, model.nq)), np.empty((steps + 1, model.nv))
    times[0], qpos[0], qvel[0] = 0.0, data.qpos, data.qvel
    episode_start: float | None = None
    taken = 0
    for i in range(steps):
        t = i * coarse
        speed = impacts.speed(data)
        near = impacts.gap(data) <= 2 * coarse * max(speed, IMPACT_MIN_SPEED_M_PER_S)
        if episode_start is None and near and speed >= IMPACT_MIN_SPEED_M_PER_S:
            episode_start = t  # an impact begins within two coarse steps
        elif episode_start is not None and not near and t - episode_start >= IMPACT_WINDOW_S:
            episode_start = None  # the bodies have parted: the next approach is a new impact
        refine = episode_start is not None and t - episode_start < IMPACT_WINDOW_S
        n, model.opt.timestep = (split, fine) if refine else (1, coarse)
        taken += n
        if taken > MAX_STEPS:
            raise ToolError(
                f"resolving the impacts of this {duration_s:g} s run needs more than {MAX_STEPS} steps: "
                "shorten duration_s"
            )
        if taken >= len(times):  # grow the records by the sub-steps of an impact or more
            grow = max(len(times) // 2, split * 64)
            times = np.concatenate([times, np.empty(grow)])
            qpos = np.concatenate([qpos, np.empty((grow, model.nq))])
            qvel = np.concatenate([qvel, np.empty((grow, model.nv))])
        for k in range(1, n + 1):
            if before_step is not None:
                before_step(data)
            mujoco.mj_step(model, data)
            row = taken - n + k
            times[row] = t + k * model.opt.timestep if k < n else (i + 1) * coarse
            qpos[row], qvel[row] = data.qpos, data.qvel
    times, qpos, qvel = times[: taken + 1], qpos[: taken + 1], qvel[: taken + 1]
    _check_stable(data, qpos, qvel)
    times[-1] = duration_s
    return Run(time_s=times, qpos=qpos, qvel=qvel, timestep_s=coarse, impact_timestep_s=fine)


def _check_stable(data: mujoco.MjData, qpos: np.ndarray, qvel: np.ndarray) -> None:
    # MuJoCo resets a state that goes bad and only warns, so a blown-up run could end looking quiet
    warnings = (mujoco.mjtWarning.mjWARN_BADQACC, mujoco.mjtWarning.mjWARN_BADQVEL, mujoco.mjtWarning.mjWARN_BADQPOS)
    if not (np.isfinite(qpos).all() and np.isfinite(qvel).all()) or any(data.warning[w].number for w in warnings):
        raise ToolError("the simulation became numerically unstable; use a smaller timestep_s or gentler parameters")


def quadratic_drag(model: mujoco.MjModel, body: str, coefficient: float) -> Callable[[mujoco.MjData], None] | None:
    """Air drag F = -c |v| v on the centre of mass of a free sphere, from its linear velocity only.

    A free joint's first three velocity entries are the world-frame velocity of the body origin, which is the
    centre of a sphere; the angular entries are left alone (drag acts on translation, never on spin).
    Returns None when there is no drag.
    """
    if coefficient == 0:
        return None
    body_id = model.body(body).id
    dof = model.jnt_dofadr[model.body_jntadr[body_id]]

    def apply(data: mujoco.MjData) -> None:
        vx, vy, vz = data.qvel[dof : dof + 3]
        scale = -coefficient * math.sqrt(vx * vx + vy * vy + vz * vz)
        data.xfrc_applied[body_id, :3] = (scale * vx, scale * vy, scale * vz)

    return apply


MAX_DRAG_RATE_STEP = 0.1  # drag is applied once per step: its decay rate times the step must stay small


def refuse_stiff_drag(coefficient: float, mass_kg: float, fastest_m_per_s: float, step_s: float) -> None:
    """ToolError when air drag would slow the body faster than the step resolves (a silent wrong number else).

    Quadratic drag F = -c |v| v is applied from the velocity at the start of each step, so its relative decay
    rate 2 c v / m times the step must stay below MAX_DRAG_RATE_STEP; ``fastest_m_per_s`` bounds the speed.
    """
    rate = 2 * coefficient * fastest_m_per_s / mass_kg
    if rate * step_s > MAX_DRAG_RATE_STEP:
        raise ToolError(
            f"air drag {coefficient:g} kg/m on a {mass_kg:g} kg body at up to {fastest_m_per_s:.3g} m/s slows it "
            f"within {1 / rate:.3g} s, faster than the {step_s:.3g} s step can follow: use a smaller "
            "drag_coefficient_kg_per_m, a heavier ball or a smaller timestep_s"
        )


def sig(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``value`` rounded to ``digits`` significant digits (0.0 stays 0.0; -0.0 becomes 0.0)."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return 0.0 if value == 0 else value
    rounded = round(value, digits - 1 - math.floor(math.log10(abs(value))))
    return rounded + 0.0


def crossing_times(time_s: np.ndarray, signal: np.ndarray, direction: int = 0) -> np.ndarray:
    """Times where ``signal`` crosses zero (linear interpolation between steps).

    ``direction`` +1 keeps upward crossings (negative to non-negative), -1 downward, 0 both. A signal that
    starts at exactly zero does not count as crossing at t = 0.
    """
    before, after = signal[:-1], signal[1:]
    up = (before < 0) & (after >= 0)
    down = (before > 0) & (after <= 0)
    mask = up if direction > 0 else down if direction < 0 else (up | down)
    idx = np.nonzero(mask)[0]
    frac = before[idx] / (before[idx] - after[idx])
    return time_s[idx] + frac * (time_s[idx + 1] - time_s[idx])


def samples(time_s: np.ndarray, series: dict[str, np.ndarray], n_samples: int) -> dict[str, list[float]]:
    """The series at ``n_samples`` evenly spaced times from 0 to the end (nearest recorded step)."""
    wanted = np.linspace(0.0, time_s[-1], n_samples)
    idx = np.clip(np.searchsorted(time_s, wanted - 1e-12), 0, len(time_s) - 1)
    out = {"t_s": [sig(t) for t in wanted]}
    for name, values in series.items():
        out[name] = [sig(v) for v in values[idx]]
    return out


def summary(
    scene: str,
    result: Run,
    series: dict[str, np.ndarray],
    extremes: list[str],
    events: dict[str, object],
    n_samples: int,
) -> dict[str, object]:
    """The JSON a scene tool returns: final values, extremes over every step, events and a coarse trajectory."""
    steps = {"timestep_s": sig(result.timestep_s)}
    if result.impact_timestep_s is not None:
        steps["impact_timestep_s"] = sig(result.impact_timestep_s)
    return {
        "scene": scene,
        "simulated_time_s": sig(result.duration_s),
        **steps,
        "final": {name: sig(values[-1]) for name, values in series.items()},
        "max": {name: sig(series[name].max()) for name in extremes},
        "min": {name: sig(series[name].min()) for name in extremes},
        "events": events,
        "samples": samples(result.time_s, series, n_samples),
    }


def first_or_none(times: np.ndarray) -> float | None:
    """The first event time, rounded, or None when the event never happened."""
    return sig(times[0]) if len(times) else None


def rotation_matrices(quat: np.ndarray) -> np.ndarray:
    """World-from-body rotation matrices (n, 3, 3) from MuJoCo quaternions (n, 4) in (w, x, y, z) order."""
    q = quat / np.linalg.norm(quat, axis=1, keepdims=True)
    w, x, y, z = q.T
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], axis=-1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], axis=-1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=-1),
        ],
        axis=1,
    )


def world_angular_velocity(quat: np.ndarray, local_omega: np.ndarray) -> np.ndarray:
    """A free joint's angular velocity (body frame in MuJoCo) expressed in the world frame, per step."""
    return np.einsum("nij,nj->ni", rotation_matrices(quat), local_omega)


def landings(time_s: np.ndarray, gap_m: np.ndarray, min_flight_height_m: float = 1e-3) -> np.ndarray:
    """Indices of the steps at which a body lands after a real flight.

    ``gap_m`` is the clearance between the body and the surface (negative when the soft contact compresses).
    A landing is a downward zero crossing of the gap whose preceding flight rose above ``min_flight_height_m``,
    so contact jitter of a resting body never counts.
    """
    down = np.nonzero((gap_m[:-1] > 0) & (gap_m[1:] <= 0))[0]
    kept, start = [], 0
    for i in down:
        if gap_m[start : i + 1].max() >= min_flight_height_m:
            kept.append(i)
        start = i + 1
    return np.asarray(kept, dtype=int)


def interpolated_time(time_s: np.ndarray, signal: np.ndarray, index: int) -> float:
    """Time between steps ``index`` and ``index + 1`` where ``signal`` crosses zero (linear interpolation)."""
    a, b = signal[index], signal[index + 1]
    frac = a / (a - b) if a != b else 0.0
    return float(time_s[index] + frac * (time_s[index + 1] - time_s[index]))
