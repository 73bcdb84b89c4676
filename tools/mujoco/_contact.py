"""Contacts with a stated coefficient of restitution, from MuJoCo's soft-contact parameters.

MuJoCo models a contact as a spring-damper on the penetration depth that may push but never pull. With the
direct form ``solref = (-k, -b)`` and a constant impedance ``d`` (``solimp = (d, d, ...)``) the normal
relative acceleration during an impact is ``-d (k x + b v)``, i.e. a mass-independent oscillator with
``omega**2 = d k`` and damping ratio ``zeta = d b / (2 omega)``. Because the force is clamped at zero, the
bodies separate when ``x + 2 zeta v / omega`` reaches zero, not when ``x`` does; :func:`restitution_of`
is the exact rebound/impact speed ratio of that clamped oscillator, and :func:`damping_ratio_for` inverts
it. Impacts last about ``CONTACT_TIME_S``; the achieved restitution is within a few per cent of the
requested one at the scenes' default timesteps (see docs/mujoco.md).
"""

from __future__ import annotations

import math
from functools import lru_cache

from scipy.optimize import brentq

CONTACT_TIME_S = 0.01  # half-period of the contact oscillator: an impact lasts about 10 ms
IMPEDANCE = 0.99  # constant solimp: the constraint is 99 % "hard", the rest is regularisation
MAX_DAMPING_RATIO = 50.0

# Sliding and rolling scenes keep MuJoCo's critically damped contacts but with a 4 ms time constant instead of
# 20 ms: friction is a soft constraint that removes slip over that time, so below a slip speed of about
# mu * g * timeconst the friction force fades. At 4 ms that band is under 1 cm/s and a sliding box stops within
# 0.3 % of the Coulomb-theory time (at 20 ms: 2 % late). It needs timesteps of at most 2 ms.
FRICTION_SOLREF = "0.004 1"


def restitution_of(zeta: float) -> float:
    """Rebound over impact speed of a unit oscillator x'' + 2 zeta x' + x = 0 whose force cannot pull."""
    if zeta == 0:
        return 1.0
    if zeta < 1:
        wd = math.sqrt(1 - zeta * zeta)
        # separation when sin(wd t) (1 - 2 zeta^2) / wd + 2 zeta cos(wd t) = 0, first root in (0, pi)
        phase = math.pi - math.atan2(2 * zeta, (1 - 2 * zeta * zeta) / wd)
        speed = math.exp(-zeta * phase / wd) * (math.cos(phase) - zeta / wd * math.sin(phase))
        return -speed
    if zeta == 1:
        zeta = 1 + 1e-9  # the critically damped limit of the overdamped formula
    root = math.sqrt(zeta * zeta - 1)
    r1, r2 = -zeta + root, -zeta - root
    t = math.log((1 + 2 * zeta * r2) / (1 + 2 * zeta * r1)) / (r1 - r2)
    speed = (r1 * math.exp(r1 * t) - r2 * math.exp(r2 * t)) / (r1 - r2)
    return -speed


@lru_cache(maxsize=1024)
def damping_ratio_for(restitution: float) -> float:
    """The damping ratio whose clamped oscillator rebounds with ``restitution`` (1 gives 0)."""
    if restitution >= 1:
        return 0.0
    lowest = restitution_of(MAX_DAMPING_RATIO)
    if restitution <= lowest:
        raise ValueError(f"restitution {restitution} is below the lowest supported value {lowest:.3f}")
    return brentq(lambda z: restitution_of(z) - restitution, 0.0, MAX_DAMPING_RATIO, xtol=1e-12)


def contact_attributes(restitution: float) -> str:
    """MJCF ``solref``/``solimp`` attributes for contacts that rebound with ``restitution``."""
    omega = math.pi / CONTACT_TIME_S
    zeta = damping_ratio_for(restitution)
    stiffness = omega * omega / IMPEDANCE
    damping = 2 * zeta * omega / IMPEDANCE
    return f'solref="{-stiffness:.9g} {-damping:.9g}" solimp="{IMPEDANCE} {IMPEDANCE} 0.001 0.5 2"'
