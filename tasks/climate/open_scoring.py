"""Score an open-ended route answer: 0 for the shortest sea route or worse, 1 for the best-known route or better.

``score(problem, final_text)`` is what the harness calls (the rubric names it).
Rules, all tested:

* the answer is the last JSON/Python list of points in the text (after
  "Answer:" when present); a point is ``[longitude, latitude]`` (the order the
  question asks for, never swapped) or an object with ``longitude``/``latitude``;
* malformed answers score 0 with the reason in ``evaluate_answer(...).reason``:
  nothing parseable, start/end not at the ports, consecutive points closer than
  the minimum spacing, a point on land, an arc crossing land, too long;
* a valid route's effect is the emulator's global-mean temperature change
  (area-weighted by construction), with the stated percentage used as a
  percentage (5 % is a factor of 1.05, not 6);
* ``score = clip((dT_shortest - dT) / (dT_shortest - dT_best), 0, 1)``.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from dataclasses import dataclass

import numpy as np

from toolwise.bench.problem import Problem
from toolwise.tasks.climate import _routes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteScore:
    score: float
    reason: str
    delta_t_C: float | None = None
    length_km: float | None = None


def parse_route(text: str) -> list[tuple[float, float]] | None:
    """(latitude, longitude) points of the last list of points in ``text``, or None."""
    if not text:
        return None
    if "answer:" in text.lower():
        text = text[text.lower().rindex("answer:") + len("answer:") :]
    for start in sorted((m.start() for m in re.finditer(r"\[", text)), reverse=True):
        candidate = _balanced(text, start)
        if candidate is None:
            continue
        points = _points(candidate)
        if points is not None:
            return points
    return None


def _balanced(text: str, start: int) -> str | None:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "[":
            depth += 1
        elif text[i] == "]":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return None


def _points(candidate: str) -> list[tuple[float, float]] | None:
    try:
        value = json.loads(candidate)
    except json.JSONDecodeError:
        try:
            value = ast.literal_eval(candidate)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    if not isinstance(value, list | tuple) or len(value) < 2:
        return None
    points = []
    for item in value:
        if isinstance(item, dict):
            lon = item.get("longitude", item.get("lon"))
            lat = item.get("latitude", item.get("lat"))
        elif isinstance(item, list | tuple) and len(item) == 2:
            lon, lat = item  # the question asks for [longitude, latitude]
        else:
            return None
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat)):
            return None
        points.append((float(lat), float(lon)))
    return points


def evaluate_answer(problem: Problem, final_text: str) -> RouteScore:
    """The score with its reason and the route's emulated effect."""
    rubric = problem.answer
    route = parse_route(final_text)
    if route is None:
        return RouteScore(0.0, "no list of [longitude, latitude] points found in the answer")
    lat, lon = np.array(route).T
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 360):
        return RouteScore(0.0, "a coordinate is out of range (is the order [longitude, latitude]?)")
    a, b = rubric["ports"]
    pa, pb = (a["latitude"], a["longitude"]), (b["latitude"], b["longitude"])
    check = _routes.check_route(lat, lon, pa, pb, rubric["max_length_km"])
    if not check.valid:
        return RouteScore(0.0, check.reason, length_km=check.length_km or None)
    delta_t, length = _routes.route_delta_t(
        lat, lon, rubric["scenario"], rubric["species"], rubric["year"], rubric["percent_change"]
    )
    zero, one = rubric["score_zero_delta_t_C"], rubric["score_one_delta_t_C"]
    value = float(np.clip((zero - delta_t) / (zero - one), 0.0, 1.0))
    return RouteScore(value, "valid route", delta_t_C=delta_t, length_km=length)


def score(problem: Problem, final_text: str) -> float:
    """The harness entry point: a number in [0, 1]; the reason goes to the log."""
    result = evaluate_answer(problem, final_text)
    log.info("climate route %s: score %.3f (%s)", problem.id, result.score, result.reason)
    return result.score


def reference_scores(problem: Problem) -> dict[str, float]:
    """Scores of the stored reference routes (for the docs and tests)."""
    out = {}
    for name, ref in problem.answer["references"].items():
        text = "Answer: " + json.dumps(ref["route_lon_lat"])
        out[name] = evaluate_answer(problem, text).score
    return out
