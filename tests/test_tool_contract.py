"""The tool contract: schema from signature + docstring, validation errors, cache, timing."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import Field

from toolwise.tools import ToolError, build_spec, canonical_arguments, get_tool, tool

calls: list[tuple[float, str]] = []


@tool
def contract_decay(
    rate: Annotated[float, Field(gt=0, le=10)],
    shape: Literal["linear", "exponential"] = "exponential",
    steps: Annotated[int, Field(ge=1, le=100)] = 3,
) -> dict:
    """Decay a unit quantity.

    Longer description for the model.

    Args:
        rate: decay rate in 1/s, in (0, 10].
        shape: the decay law.
        steps: how many steps to report.
    """
    calls.append((rate, shape))
    if rate == 7:
        raise ToolError("rate 7 is not supported by this model")
    if rate == 9:
        raise ZeroDivisionError("division by zero")
    return {"values": [round((1 - rate / 10) ** k, 6) for k in range(steps)]}


def test_schema_comes_from_signature_and_docstring() -> None:
    spec = get_tool("contract_decay")
    fn = spec.schema()["function"]
    assert fn["name"] == "contract_decay"
    assert fn["description"].startswith("Decay a unit quantity.")
    params = fn["parameters"]
    assert params["required"] == ["rate"]
    assert params["properties"]["rate"] == {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": 10,
        "description": "decay rate in 1/s, in (0, 10].",
    }
    assert params["properties"]["shape"]["enum"] == ["linear", "exponential"]
    assert params["properties"]["steps"]["default"] == 3
    assert params["additionalProperties"] is False


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "missing required argument 'rate'"),
        ({"rate": -1}, "argument 'rate'"),
        ({"rate": 11}, "less than or equal to 10"),
        ({"rate": 1, "shape": "cubic"}, "argument 'shape'"),
        ({"rate": 1, "colour": "red"}, "unexpected argument 'colour'"),
        ({"rate": "fast"}, "argument 'rate'"),
        ({"rate": 1, "steps": 1000}, "argument 'steps'"),
        ({"rate": float("nan")}, "argument 'rate'"),
        ({"rate": float("inf")}, "argument 'rate'"),
        ("{not json", "not valid JSON"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_bad_arguments_give_readable_tool_errors(arguments: object, message: str) -> None:
    result = get_tool("contract_decay").call(arguments)
    assert not result.ok
    assert message in result.error
    assert result.as_message().startswith("Error: invalid arguments") or "JSON" in result.error


def test_tool_error_and_crash_inside_the_tool_become_messages() -> None:
    spec = get_tool("contract_decay")
    assert spec.call({"rate": 7}).error == "rate 7 is not supported by this model"
    crashed = spec.call({"rate": 9})
    assert "ZeroDivisionError" in crashed.error


def test_identical_canonical_arguments_hit_the_cache() -> None:
    spec = get_tool("contract_decay")
    spec.clear_cache()
    calls.clear()
    first = spec.call({"rate": 2, "shape": "exponential"})
    second = spec.call('{"shape": "exponential", "rate": 2.0}')
    third = spec.call({"rate": 2})  # the default fills in the same canonical arguments
    assert first.ok and not first.cached
    assert second.cached and third.cached
    assert second.value == first.value
    assert len(calls) == 1
    assert first.seconds >= 0


def test_canonical_arguments_ignore_key_order() -> None:
    assert canonical_arguments({"b": 1, "a": [2, 3]}) == canonical_arguments({"a": [2, 3], "b": 1})


def test_unknown_tool_lists_the_known_ones() -> None:
    with pytest.raises(ToolError, match=r"unknown tool 'no_such_tool'.*contract_decay"):
        get_tool("no_such_tool")


def test_undocumented_parameters_are_refused() -> None:
    def bare(x: float) -> float:
        """Does something."""
        return x

    with pytest.raises(ValueError, match="needs a line in the docstring"):
        build_spec(bare)

    def untyped(x):  # type: ignore[no-untyped-def]
        """Does something.

        Args:
            x: a value.
        """
        return x

    with pytest.raises(ValueError, match="needs a type hint"):
        build_spec(untyped)
