"""The route scorer: good > bad > malformed, each malformation named, and the reference code's bugs avoided."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toolwise.bench.problem import read_jsonl
from toolwise.tasks.climate import _routes
from toolwise.tasks.climate.generate import TEST_FILES
from toolwise.tasks.climate.open_scoring import evaluate_answer, parse_route, reference_scores, score
from toolwise.tools import get_tool

PROBLEMS = read_jsonl(TEST_FILES["open"])


def _pick(species: str):
    return next(p for p in PROBLEMS if p.answer["species"] == species)


def _answer(points_lon_lat) -> str:
    return "I considered a few routes.\nAnswer: " + json.dumps(points_lon_lat)


def _best(problem) -> list[list[float]]:
    return problem.answer["references"]["best_known"]["route_lon_lat"]


def _shortest(problem) -> list[list[float]]:
    return problem.answer["references"]["shortest_sea"]["route_lon_lat"]


@pytest.mark.parametrize("species", ["SO2", "BC"])
def test_best_known_scores_one_shortest_zero_and_a_blend_in_between(species: str) -> None:
    p = _pick(species)
    assert score(p, p.answer["reference_answer"]) == 1.0
    assert score(p, _answer(_best(p))) == 1.0
    assert score(p, _answer(_shortest(p))) == 0.0
    # a malformed version of the good route scores 0, below both
    on_land = [_best(p)[0], [2.35, 48.85], *_best(p)[1:]]  # Paris inserted after the start
    bad = evaluate_answer(p, _answer(on_land))
    assert bad.score == 0.0 and ("land" in bad.reason or "apart" in bad.reason)


def test_good_mediocre_bad_and_malformed_routes_score_in_that_order() -> None:
    # a problem whose straight or great-circle reference is valid and lies strictly between the anchors
    for p in PROBLEMS:
        mediocre = [
            ref["route_lon_lat"]
            for name, ref in p.answer["references"].items()
            if name in ("straight", "great_circle") and 0 < evaluate_answer(p, _answer(ref["route_lon_lat"])).score < 1
        ]
        if mediocre:
            break
    else:
        pytest.fail("no reference route scores strictly between 0 and 1")
    good, middle, bad = (evaluate_answer(p, _answer(r)) for r in (_best(p), mediocre[0], _shortest(p)))
    malformed = evaluate_answer(p, "Answer: the usual lane")
    assert good.score == 1.0 > middle.score > bad.score == 0.0 == malformed.score
    assert good.reason == middle.reason == bad.reason == "valid route"
    assert malformed.reason.startswith("no list")


def test_reference_scores_and_stored_anchors_match_a_fresh_evaluation() -> None:
    for p in PROBLEMS[:8]:
        scores = reference_scores(p)
        assert scores["best_known"] == 1.0 and scores["shortest_sea"] == 0.0
        for name in ("best_known", "shortest_sea"):
            lat_lon = np.array(p.answer["references"][name]["route_lon_lat"])[:, ::-1]
            dt, _ = _routes.route_delta_t(
                lat_lon[:, 0],
                lat_lon[:, 1],
                p.answer["scenario"],
                p.answer["species"],
                p.answer["year"],
                p.answer["percent_change"],
            )
            assert dt == pytest.approx(p.answer["references"][name]["delta_t_C"], rel=1e-9)


def test_each_malformation_scores_zero_with_its_reason() -> None:
    p = _pick("SO2")
    best = _best(p)
    cases = {
        "no list of": "I would sail along the coast.",
        "start and end at the ports": _answer(best[1:]),
        "apart": _answer([best[0], [best[0][0] + 0.5, best[0][1]], *best[1:]]),
        "out of range": _answer([[lon, 95.0] for lon, _ in best]),
    }
    for expected, text in cases.items():
        result = evaluate_answer(p, text)
        assert result.score == 0.0
        assert expected in result.reason, result


def test_a_too_long_route_is_rejected_for_its_length() -> None:
    p = _pick("SO2")
    a, b = p.answer["ports"]
    check = _routes.check_route(
        np.array([a["latitude"], b["latitude"]]),
        np.array([a["longitude"], b["longitude"]]),
        (a["latitude"], a["longitude"]),
        (b["latitude"], b["longitude"]),
        100.0,
    )
    assert not check.valid and "km long" in check.reason


def test_points_are_read_as_longitude_then_latitude_never_swapped() -> None:
    p = _pick("BC")
    best = _best(p)
    assert score(p, _answer(best)) == 1.0
    swapped = [[lat, lon] for lon, lat in best]
    result = evaluate_answer(p, _answer(swapped))
    assert result.score == 0.0  # read as given, the swapped list starts nowhere near the port
    as_objects = [{"latitude": lat, "longitude": lon} for lon, lat in best]
    assert score(p, "Answer: " + json.dumps(as_objects)) == 1.0  # named keys are unambiguous
    assert parse_route("Answer: [(10.0, 50.0), (12.0, 51.0)]") == [(50.0, 10.0), (51.0, 12.0)]


def test_the_percentage_is_a_percentage() -> None:
    p = _pick("BC")
    route = _best(p)
    lat_lon = np.array(route)[:, ::-1]
    five, _ = _routes.route_delta_t(lat_lon[:, 0], lat_lon[:, 1], p.answer["scenario"], "BC", p.answer["year"], 5)
    ten, _ = _routes.route_delta_t(lat_lon[:, 0], lat_lon[:, 1], p.answer["scenario"], "BC", p.answer["year"], 10)
    assert five == pytest.approx(ten / 2, rel=1e-9)  # "5%" is x1.05, not x6 (the reference code's 5.0 -> x(1+5))
    tool = get_tool("climate_route_aerosol_warming").call(
        {
            "scenario": p.answer["scenario"],
            "year": p.answer["year"],
            "species": "BC",
            "percent_change": 5,
            "waypoints": [{"longitude": lo, "latitude": la} for lo, la in route],
        }
    )
    assert tool.value["global_mean_temperature_change_C"] == pytest.approx(five, rel=1e-3)


def test_the_global_mean_is_area_weighted() -> None:
    # the same route shifted poleward emits the same amount over a smaller area of sunlight: an area-weighted
    # efficiency map (global mean 1 with cos-latitude weights) gives a uniform emission exactly the global response
    from toolwise.tools.climate._aerosol import efficiency_grid

    grid, step = efficiency_grid()
    lats = 90.0 - step * np.arange(grid.shape[0])
    weights = np.cos(np.deg2rad(lats))[:, None] * np.ones_like(grid)
    assert np.sum(grid * weights) / np.sum(weights) == pytest.approx(1.0, abs=1e-9)
    assert abs(grid.mean() - 1.0) > 0.01  # an unweighted mean would be off by more than the tolerances used


def test_parse_accepts_text_after_answer_and_rejects_junk() -> None:
    assert parse_route("Answer: [[1, 2], [3, 4]] thanks") == [(2.0, 1.0), (4.0, 3.0)]
    assert parse_route("route [[0, 0], [1, 1]] then Answer: [[5, 6], [7, 8]]") == [(6.0, 5.0), (8.0, 7.0)]
    assert parse_route("Answer: [[1, 2, 3], [4, 5, 6]]") is None
    assert parse_route('Answer: [["a", 2], [3, 4]]') is None
    assert parse_route("") is None
