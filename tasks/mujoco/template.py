"""A question template: how to sample a scene, ask about it, and read the answer from the tool's results.

A template's ``params`` hold one tool-argument dict per scene (``{"scene": {...}}``, or ``{"scene_a": ...,
"scene_b": ...}`` for comparisons). Those dicts are exactly the reference calls' arguments, and the question
states exactly their values, so every fact in the question is a fact the tool receives.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Params = dict[str, Any]
Results = list[dict[str, Any]]
Sampler = Callable[[np.random.Generator], Params | None]  # None: this draw is unsuitable, draw again


@dataclass(frozen=True)
class Template:
    """One kind of question about one kind of scene."""

    name: str
    tool: str
    sample: Sampler
    question: Callable[[Params], str]
    value: Callable[[Params, Results], float | None]  # None: the asked event never happened
    fact: str  # what the value is, for the worked solution: "the angle at the end of the run (deg)"
    positive: bool  # strictly positive quantity: multiplicative option gaps
    physics: Callable[[Params], str]  # the worked solution's closed-form reasoning, stated as facts
    # the scene's natural magnitude for this quantity (option gaps, robustness); None: the value itself
    scale: Callable[[Params, Results], float | None] | None = None

    def magnitude(self, params: Params, results: Results) -> float | None:
        return (self.scale or self.value)(params, results)

    def calls(self, params: Params) -> list[dict[str, Any]]:
        """Tool arguments of the reference calls, in order (one per scene)."""
        return [params[key] for key in sorted(params) if key.startswith("scene")]


def family(tool: str, sample: Sampler, physics: Callable[[Params], str]) -> Callable[..., Template]:
    """Templates that share a tool, a scene sampler and a worked solution; a keyword given to one overrides."""
    return functools.partial(Template, tool=tool, sample=sample, physics=physics)


def fmt(x: float) -> str:
    """A sampled parameter as the question prints it (the value the tool receives, no float noise)."""
    return f"{x:g}"


def drag_sentence(coefficient: float, body: str = "the ball") -> str:
    if coefficient == 0:
        return "There is no air resistance."
    return (
        f"Air drag acts on {body} with a force of magnitude c·v² opposite to its velocity, c = {fmt(coefficient)} kg/m."
    )


def gravity_sentence(g: float) -> str:
    return f"Gravity is g = {fmt(g)} m/s² downward."


def duration_sentence(duration: float) -> str:
    return f"The motion is simulated for {fmt(duration)} s."


def pick_gravity(rng: np.random.Generator) -> float:
    """Mostly Earth, sometimes the Moon, Mars or Jupiter, so that g is a fact to read, not assume."""
    return float(rng.choice([9.81, 9.81, 9.81, 9.81, 1.62, 3.71, 24.79]))


def round_to(x: float, decimals: int) -> float:
    return float(round(float(x), decimals)) + 0.0


def final(key: str, index: int = 0) -> Callable[[Params, Results], float]:
    return lambda params, results: results[index]["final"][key]


def maximum(key: str, index: int = 0) -> Callable[[Params, Results], float]:
    return lambda params, results: results[index]["max"][key]


def event(key: str, index: int = 0) -> Callable[[Params, Results], float | None]:
    return lambda params, results: results[index]["events"][key]
