"""Question drafts: a sampled PDE setting, the tool call that answers it, and its wording.

Each ``draft_*`` function samples one setting of a family (1-D diffusion, 2-D
diffusion, Fisher–KPP invasion) for a requested question kind (and ``variant``:
which scenario and boundary condition, so the caller can balance them) and returns the
reference tool call, the question text (every number in it is an argument of
that call, and nothing the call needs is left out) and the physical range the
answer must lie in. It returns None when the sample is degenerate (nothing
happens, the answer is a value already stated, the quantity is ill posed), and
the caller draws again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolwise.tasks.pde._scenarios import DIFFUSION_SCENARIOS, INVASION, Scenario
from toolwise.tools import get_tool

DIFFUSION_1D_KINDS = ("max", "min", "mean", "value_at", "max_gradient", "threshold_time")
DIFFUSION_2D_KINDS = ("max", "min", "mean", "value_at", "max_gradient")
INVASION_KINDS = ("value_at", "mean", "front_position", "threshold_time", "max_gradient")
FAMILIES = {"diffusion_1d": DIFFUSION_1D_KINDS, "diffusion_2d": DIFFUSION_2D_KINDS, "fisher_kpp_1d": INVASION_KINDS}

RESULT_FIELDS = {"max": "max_value", "min": "min_value", "mean": "mean_value", "max_gradient": "max_abs_gradient"}


@dataclass
class Draft:
    family: str
    kind: str
    tool: str
    arguments: dict[str, Any]
    setting: str
    ask: str
    answer_label: str  # what the number is, for the worked solution: "the temperature at x = 12 cm after 300 s"
    unit: str
    lower: float  # the answer's physical range
    upper: float
    spread: float  # characteristic size of the answer, sets the option spacing
    insight: str = ""  # one physical remark for the worked solution
    stated: tuple[float, ...] = ()  # initial and boundary values given in the question
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def question(self) -> str:
        return f"{self.setting} {self.ask}"


BOUNDARIES = ("dirichlet", "neumann", "periodic")


def _scenario(variant: int) -> Scenario:
    return DIFFUSION_SCENARIOS[variant % len(DIFFUSION_SCENARIOS)]


def _boundary(variant: int) -> str:
    """Boundaries cycle on a slower beat than scenarios: variants 0-8 cover every (scenario, boundary) pair."""
    return BOUNDARIES[(variant // len(DIFFUSION_SCENARIOS)) % len(BOUNDARIES)]


def fmt(x: float) -> str:
    """A stated number: no trailing zeros, no exponent."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def extract_answer(kind: str, result: dict[str, Any]) -> float | None:
    """The number a tool result gives for a question kind."""
    if kind in RESULT_FIELDS:
        return result[RESULT_FIELDS[kind]]
    if kind == "front_position":
        return result["front_position"]
    if kind == "value_at":
        return result["points"][0]["value"]
    if kind == "threshold_time":
        return result["points"][0]["first_time_at_threshold"]
    raise ValueError(f"unknown question kind {kind!r}")


def _call(tool: str, arguments: dict[str, Any]) -> dict[str, Any] | None:
    outcome = get_tool(tool).call(arguments)
    return outcome.value if outcome.ok else None


# ------------------------------------------------------------------------------------------------------ 1-D diffusion

_CARRIER = {"heat_conduction": "heat", "chemical_diffusion": "solute", "population_spread": "individual"}
_NEUMANN_ENDS = {
    "heat_conduction": "Both ends are insulated",
    "chemical_diffusion": "Both ends are sealed",
    "population_spread": "Both ends of the valley are closed to migration",
}


def draft_diffusion_1d(rng: np.random.Generator, kind: str, variant: int = 0) -> Draft | None:
    sc = _scenario(variant)
    diffusivity, length = sc.diffusivity(rng), sc.length(rng)
    time = sc.time(rng)
    if not length / 40 <= math.sqrt(diffusivity * time) <= length / 4:
        return None  # far below: nothing but thin boundary layers; far above: already at equilibrium
    boundary = _boundary(variant)
    ic = "step" if boundary != "dirichlet" else str(rng.choice(["constant", "step"]))
    args: dict[str, Any] = {
        "diffusivity": diffusivity,
        "length": length,
        "time": time,
        "initial_condition": ic,
        "initial_value": sc.value(rng),
        "boundary": boundary,
    }
    stated = [args["initial_value"]]
    lu, u, q = sc.length_unit, sc.unit, sc.quantity
    half = fmt(length / 2)
    if ic == "step":
        args["initial_value_right"] = sc.value(rng)
        stated.append(args["initial_value_right"])
        ic_text = (
            f"Initially the {q} is {fmt(args['initial_value'])} {u} for x < {half} {lu} "
            f"and {fmt(args['initial_value_right'])} {u} for x > {half} {lu}."
        )
    else:
        ic_text = f"Initially the {q} is {fmt(args['initial_value'])} {u} everywhere."
    if boundary == "dirichlet":
        args["left_value"], args["right_value"] = sc.value(rng), sc.value(rng)
        stated += [args["left_value"], args["right_value"]]
        bc_text = (
            f"The ends are held at fixed values (Dirichlet boundary conditions): {fmt(args['left_value'])} {u} "
            f"at x = 0 and {fmt(args['right_value'])} {u} at x = {fmt(length)} {lu}."
        )
    elif boundary == "neumann":
        bc_text = f"{_NEUMANN_ENDS[sc.name]} (zero-flux Neumann boundary conditions)."
    else:
        bc_text = f"The boundary conditions are periodic: x = {fmt(length)} {lu} connects back to x = 0, as in a ring."
    lower, upper = min(stated), max(stated)
    if upper - lower < 0.2 * (sc.value_range[1] - sc.value_range[0]):
        return None  # too little contrast to ask about
    medium, tu = sc.medium_1d, sc.time_unit
    setting = (
        f"In a 1D {sc.process} process, a {medium} of length L = {fmt(length)} {lu} has diffusivity "
        f"D = {fmt(diffusivity)} {sc.diffusivity_unit}. {ic_text} {bc_text}"
    )
    after = f"after {fmt(time)} {tu}"
    spread = upper - lower
    insight = (
        f"In {fmt(time)} {tu} the {q} spreads over about √(D·t) = √({fmt(diffusivity)} × {fmt(time)}) ≈ "
        f"{math.sqrt(diffusivity * time):.3g} {lu}."
    )
    wave = ("2π/L", 2 * math.pi / length) if boundary == "periodic" else ("π/L", math.pi / length)
    insight += f" Its slowest pattern, k = {wave[0]}, fades as exp(−D·k²·t) = {math.exp(-diffusivity * wave[1] ** 2 * time):.2g}."
    if boundary != "dirichlet":
        insight += f" No {_CARRIER[sc.name]} leaves through the ends, so the average {q} stays at its initial value."
    draft = Draft("diffusion_1d", kind, "solve_diffusion_1d", args, setting, "", "", u, lower, upper, spread, insight)
    draft.stated = tuple(stated)
    draft.params = {"scenario": sc.name, "dimension": 1, "boundary": boundary, "initial_condition": ic}
    if kind in ("max", "min", "mean"):
        _ask_extreme(
            draft, q, f"anywhere along the {medium}, ends included," if kind != "mean" else f"over the {medium}", after
        )
    elif kind == "value_at":
        x = sc.coordinate(rng, length)
        args["points"] = [x]
        draft.ask = f"What is the {q} ({u}) at x = {fmt(x)} {lu} {after}?"
        draft.answer_label = f"the {q} at x = {fmt(x)} {lu} {after}"
    elif kind == "max_gradient":
        _ask_gradient(draft, q, "|∂u/∂x|", lu, f"in the {medium}", after)
    elif kind == "threshold_time":
        return _with_threshold(draft, rng, sc, x=sc.coordinate(rng, length))
    return draft


def _ask_extreme(draft: Draft, q: str, where: str, after: str) -> None:
    """A max/min/mean question about the field ``where`` (the whole medium)."""
    word = {"max": "maximum", "min": "minimum", "mean": "average"}[draft.kind]
    draft.ask = f"What is the {word} {q} ({draft.unit}) {where} {after}?"
    draft.answer_label = f"the {word} {q} {after}"


def _ask_gradient(draft: Draft, q: str, gradient: str, length_unit: str, where: str, after: str) -> None:
    """A max_gradient question: the largest magnitude of ``gradient`` ``where``, in the field's unit per length."""
    draft.unit = f"{draft.unit} per {length_unit}"
    draft.ask = f"What is the largest magnitude of the {q} gradient {gradient} ({draft.unit}) {where} {after}?"
    draft.answer_label = f"the largest {gradient} {after}"
    draft.lower, draft.upper, draft.spread = 0.0, math.inf, 0.0


def _with_threshold(draft: Draft, rng: np.random.Generator, sc: Scenario, x: float) -> Draft | None:
    """Ask when the value at x first reaches a level it passes at a sampled time within the horizon."""
    args = draft.arguments
    horizon = args["time"]
    probe_time = float(rng.uniform(0.15, 0.6)) * horizon
    probe = _call(draft.tool, {**args, "time": probe_time, "points": [x]})
    if probe is None:
        return None
    level = round(probe["points"][0]["value"], sc.value_decimals)
    if args["initial_condition"] == "step" and x == args["length"] / 2:
        return None  # on the jump itself the initial value is undefined
    left_half = args["initial_condition"] == "constant" or x < args["length"] / 2
    start = args["initial_value"] if left_half else args["initial_value_right"]
    if abs(level - start) < 0.05 * (draft.upper - draft.lower):
        return None
    args["points"], args["threshold"] = [x], level
    q, u, tu, lu = sc.quantity, sc.unit, sc.time_unit, sc.length_unit
    draft.ask = (
        f"Following the process for {fmt(horizon)} {tu}, at what time ({tu}) does the {q} at x = {fmt(x)} {lu} "
        f"first reach {fmt(level)} {u}?"
    )
    draft.answer_label = f"the first time at which the {q} at x = {fmt(x)} {lu} reaches {fmt(level)} {u}"
    draft.unit = tu
    draft.lower, draft.upper, draft.spread = 0.0, horizon, 0.0
    return draft


# ------------------------------------------------------------------------------------------------------ 2-D diffusion


def draft_diffusion_2d(rng: np.random.Generator, kind: str, variant: int = 0) -> Draft | None:
    sc = _scenario(variant)
    diffusivity = sc.diffusivity(rng)
    lx = sc.length(rng)
    ly = sc.length(rng, high=max(sc.length_range[0], lx))
    time = sc.time(rng)
    diffusion_length = math.sqrt(diffusivity * time)
    if not max(lx, ly) / 40 <= diffusion_length <= max(lx, ly) / 4:
        return None
    boundary = _boundary(variant)
    # A checkerboard whose squares still matter at time t: its slowest mode decays as exp(-2π²·D·t/s²).
    size = _nice_size(math.pi * math.sqrt(2 * diffusion_length**2 / rng.uniform(0.3, 2.5)), sc)
    checker_fits = size <= min(lx, ly) / 2 and size >= max(lx, ly) / 40
    if boundary != "dirichlet" and not checker_fits:
        return None
    ic = "checkerboard" if boundary != "dirichlet" or (checker_fits and rng.random() < 0.5) else "constant"
    lu, u, q, tu = sc.length_unit, sc.unit, sc.quantity, sc.time_unit
    args: dict[str, Any] = {
        "diffusivity": diffusivity,
        "length_x": lx,
        "length_y": ly,
        "time": time,
        "initial_condition": ic,
        "initial_value": sc.value(rng),
        "boundary": boundary,
    }
    stated = [args["initial_value"]]
    if ic == "checkerboard":
        args["checker_value"], args["checker_size"] = sc.value(rng), size
        stated.append(args["checker_value"])
        s = fmt(size)
        ic_text = (
            f"Initially the {q} forms a checkerboard of {s} {lu} × {s} {lu} squares starting at the origin: "
            f"{fmt(args['initial_value'])} {u} on squares where ⌊x/{s}⌋ + ⌊y/{s}⌋ is even (the square at the "
            f"origin among them) and {fmt(args['checker_value'])} {u} on the others."
        )
    else:
        ic_text = f"Initially the {q} is {fmt(args['initial_value'])} {u} everywhere."
    if boundary == "dirichlet":
        if kind == "max_gradient":  # different adjacent edges would make the gradient infinite at a corner
            edge = sc.value(rng)
            args.update(left_value=edge, right_value=edge, bottom_value=edge, top_value=edge)
            bc_text = f"All four edges are held at {fmt(edge)} {u} (Dirichlet boundary conditions)."
        else:
            args.update(
                left_value=sc.value(rng), right_value=sc.value(rng), bottom_value=sc.value(rng), top_value=sc.value(rng)
            )
            bc_text = (
                f"The edges are held at fixed values (Dirichlet boundary conditions): {fmt(args['left_value'])} {u} "
                f"at x = 0, {fmt(args['right_value'])} {u} at x = {fmt(lx)} {lu}, {fmt(args['bottom_value'])} {u} "
                f"at y = 0 and {fmt(args['top_value'])} {u} at y = {fmt(ly)} {lu}."
            )
        stated += [args[k] for k in ("left_value", "right_value", "bottom_value", "top_value")]
    elif boundary == "neumann":
        bc_text = "No flux crosses any edge (zero-flux Neumann boundary conditions)."
    else:
        bc_text = "The boundary conditions are periodic in both x and y (opposite edges are joined)."
    lower, upper = min(stated), max(stated)
    if upper - lower < 0.2 * (sc.value_range[1] - sc.value_range[0]):
        return None  # too little contrast to ask about
    medium = sc.medium_2d
    setting = (
        f"In a 2D {sc.process} process, a {medium} occupies 0 ≤ x ≤ {fmt(lx)} {lu}, 0 ≤ y ≤ {fmt(ly)} {lu} and has "
        f"diffusivity D = {fmt(diffusivity)} {sc.diffusivity_unit}. {ic_text} {bc_text}"
    )
    after = f"after {fmt(time)} {tu}"
    insight = f"In {fmt(time)} {tu} the {q} spreads over about √(D·t) ≈ {diffusion_length:.3g} {lu}."
    if ic == "checkerboard":
        insight += (
            f" The checkerboard pattern decays roughly as exp(−2π²·D·t/s²) = "
            f"{math.exp(-2 * math.pi**2 * diffusion_length**2 / size**2):.2g}."
        )
    draft = Draft("diffusion_2d", kind, "solve_diffusion_2d", args, setting, "", "", u, lower, upper, upper - lower)
    draft.stated = tuple(stated)
    draft.insight = insight
    draft.params = {"scenario": sc.name, "dimension": 2, "boundary": boundary, "initial_condition": ic}
    if kind in ("max", "min", "mean"):
        _ask_extreme(
            draft, q, f"anywhere on the {medium}, edges included," if kind != "mean" else f"over the {medium}", after
        )
    elif kind == "value_at":
        x, y = sc.coordinate(rng, lx), sc.coordinate(rng, ly)
        args["points"] = [[x, y]]
        draft.ask = f"What is the {q} ({u}) at (x, y) = ({fmt(x)} {lu}, {fmt(y)} {lu}) {after}?"
        draft.answer_label = f"the {q} at (x, y) = ({fmt(x)}, {fmt(y)}) {lu} {after}"
    elif kind == "max_gradient":
        _ask_gradient(draft, q, "|∇u|", lu, f"on the {medium}", after)
    return draft


def _nice_size(size: float, sc: Scenario) -> float:
    """Round a checkerboard square side to 1, 2, 2.5 or 5 × 10^k (at least the scenario's length quantum)."""
    exponent = math.floor(math.log10(size))
    candidates = [m * 10.0**e for e in (exponent - 1, exponent, exponent + 1) for m in (1.0, 2.0, 2.5, 5.0)]
    best = min(candidates, key=lambda c: abs(math.log(c / size)))
    return float(round(max(best, sc.length_quantum / 2), 6))


# ------------------------------------------------------------------------------------------------------ Fisher–KPP


def draft_invasion(rng: np.random.Generator, kind: str, variant: int = 0) -> Draft | None:
    r = INVASION
    diffusivity = round(float(rng.uniform(*r.diffusivity)), 1)
    growth = round(float(rng.uniform(*r.growth_rate)), 2)
    capacity = 10.0 * int(rng.integers(r.capacity[0], r.capacity[1] + 1))
    length = 10.0 * int(rng.integers(r.length[0], r.length[1] + 1))
    time = float(rng.integers(r.time[0], r.time[1] + 1))
    if growth * time > r.max_growth_times_time or length / math.sqrt(diffusivity / growth) > 150:
        return None
    boundary = _boundary(variant)
    step = kind in ("front_position", "threshold_time") or rng.random() < 0.7
    args: dict[str, Any] = {
        "diffusivity": diffusivity,
        "growth_rate": growth,
        "carrying_capacity": capacity,
        "length": length,
        "time": time,
        "initial_condition": "step" if step else "constant",
        "boundary": boundary,
    }
    if step:
        occupied = float(rng.integers(r.occupied[0], r.occupied[1] + 1))
        args["initial_density"] = 10.0 * round(float(rng.uniform(0.3, 1.0)) * capacity / 10)
        args["occupied_length"] = occupied
        ic_text = (
            f"Initially u = {fmt(args['initial_density'])} individuals/km² for x < {fmt(occupied)} km and u = 0 beyond."
        )
    else:
        args["initial_density"] = 10.0 * max(1, round(float(rng.uniform(0.05, 0.5)) * capacity / 10))
        ic_text = f"Initially u = {fmt(args['initial_density'])} individuals/km² everywhere."
    if boundary == "dirichlet":
        args["left_value"] = args["right_value"] = 0.0
        bc_text = "Both ends of the valley are hostile: the density is held at 0 there (Dirichlet boundary conditions)."
    elif boundary == "neumann":
        bc_text = "Both ends of the valley are closed (zero-flux Neumann boundary conditions)."
    else:
        bc_text = f"The valley is a ring: x = {fmt(length)} km connects back to x = 0 (periodic boundary conditions)."
    if not step and boundary != "dirichlet":
        return None  # a uniform population in a closed or ring habitat just grows logistically: no PDE to solve
    setting = (
        f"A population lives in a narrow valley of length L = {fmt(length)} km. Its density u (individuals/km²) "
        f"follows the Fisher–KPP reaction–diffusion equation ∂u/∂t = D·∂²u/∂x² + r·u·(1 − u/K) with "
        f"D = {fmt(diffusivity)} km²/year, growth rate r = {fmt(growth)} per year and carrying capacity "
        f"K = {fmt(capacity)} individuals/km². {ic_text} {bc_text}"
    )
    speed = 2 * math.sqrt(growth * diffusivity)
    insight = f"An invasion front of this equation moves at close to 2·√(r·D) = {speed:.3g} km/year."
    if boundary == "dirichlet":
        critical = math.pi * math.sqrt(diffusivity / growth)
        fate = "persists" if length > critical else "dies out"
        insight += f" With hostile ends the population {fate}: L = {fmt(length)} km vs the critical π·√(D/r) ≈ {critical:.3g} km."
    upper = max(capacity, args["initial_density"])
    after = f"after {fmt(time)} years"
    unit = "individuals/km²"
    draft = Draft("fisher_kpp_1d", kind, "solve_fisher_kpp_1d", args, setting, "", "", unit, 0.0, upper, upper)
    draft.stated = (args["initial_density"], capacity)
    draft.insight = insight
    draft.params = {
        "scenario": "population_invasion",
        "dimension": 1,
        "boundary": boundary,
        "initial_condition": args["initial_condition"],
    }
    if kind == "value_at":
        x = float(round(rng.uniform(0.1, 0.9) * length))
        args["points"] = [x]
        draft.ask = f"What is the population density (individuals/km²) at x = {fmt(x)} km {after}?"
        draft.answer_label = f"the density at x = {fmt(x)} km {after}"
    elif kind == "mean":
        draft.ask = f"What is the average population density (individuals/km²) over the valley {after}?"
        draft.answer_label = f"the average density {after}"
    elif kind == "front_position":
        draft.ask = (
            f"Where is the invasion front {after}, that is, the largest x (km) at which the density equals "
            f"K/2 = {fmt(capacity / 2)} individuals/km²?"
        )
        draft.answer_label = f"the front position (largest x with u = K/2) {after}"
        draft.unit, draft.lower, draft.upper, draft.spread = "km", 0.0, length, 0.0
    elif kind == "threshold_time":
        x = float(round(rng.uniform(args["occupied_length"] + 0.1 * length, 0.9 * length)))
        if x >= 0.9 * length:
            return None
        args["points"], args["threshold"] = [x], capacity / 2
        draft.ask = (
            f"Following the invasion for {fmt(time)} years, at what time (years) does the density at x = {fmt(x)} km "
            f"first reach half the carrying capacity, {fmt(capacity / 2)} individuals/km²?"
        )
        draft.answer_label = f"the first time at which the density at x = {fmt(x)} km reaches K/2"
        draft.unit, draft.lower, draft.upper, draft.spread = "years", 0.0, time, 0.0
    elif kind == "max_gradient":
        _ask_gradient(draft, "density", "|∂u/∂x|", "km", "in the valley", after)
    return draft


DRAFTERS = {"diffusion_1d": draft_diffusion_1d, "diffusion_2d": draft_diffusion_2d, "fisher_kpp_1d": draft_invasion}
