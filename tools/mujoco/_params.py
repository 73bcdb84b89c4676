"""Parameter types shared by the MuJoCo scene tools: physical bounds a model can read in the schema.

Every float is finite (NaN and infinity are refused with a clear message) and bounded, so a bad request
fails fast in validation instead of producing nonsense or a run that never ends.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_DURATION_S = 30.0


def bounded(lo: float, hi: float, *, open_lo: bool = False) -> object:
    """A finite float in [lo, hi] (or (lo, hi] with ``open_lo``)."""
    if open_lo:
        return Field(gt=lo, le=hi, allow_inf_nan=False)
    return Field(ge=lo, le=hi, allow_inf_nan=False)


Duration = Annotated[float, bounded(0.0, MAX_DURATION_S, open_lo=True)]
Timestep = Annotated[float, bounded(1e-4, 0.01)]
Gravity = Annotated[float, bounded(0.1, 50.0)]
Mass = Annotated[float, bounded(0.001, 1000.0)]  # MuJoCo refuses bodies lighter than ~1e-15 kg
Length = Annotated[float, bounded(0.0, 100.0, open_lo=True)]
Radius = Annotated[float, bounded(0.005, 2.0)]
Position = Annotated[float, bounded(-100.0, 100.0)]
Height = Annotated[float, bounded(0.0, 100.0)]
Speed = Annotated[float, bounded(-100.0, 100.0)]
AngleDeg = Annotated[float, bounded(-180.0, 180.0)]
AngularSpeedDeg = Annotated[float, bounded(-3600.0, 3600.0)]
AngularSpeedRad = Annotated[float, bounded(-200.0, 200.0)]
Friction = Annotated[float, bounded(0.0, 2.0)]
Restitution = Annotated[float, bounded(0.3, 1.0)]  # below 0.3 gravity during the 10 ms impact spoils e
Damping = Annotated[float, bounded(0.0, 100.0)]
DragCoefficient = Annotated[float, bounded(0.0, 10.0)]
SampleCount = Annotated[int, Field(ge=2, le=101)]
