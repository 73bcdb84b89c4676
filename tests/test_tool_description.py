"""The compact tool description that templates ignoring ``tools=`` get in the system prompt."""

from __future__ import annotations

from toolwise.bench.backends.tool_parsing import FALLBACK_INSTRUCTIONS, compact_tool_line, fallback_tools_prompt
from toolwise.tools import pde  # noqa: F401  (registers the PDE tools)
from toolwise.tools._registry import get_tool, tool

PDE_TOOLS = ["solve_diffusion_1d", "solve_diffusion_2d", "solve_fisher_kpp_1d"]


@tool(name="demo_drop_time")
def demo_drop_time(height_m: float, planet: str = "earth", samples: int = 3, marks: list[float] | None = None) -> float:
    """Time for a dropped object to reach the ground. Ignores air drag.

    Args:
        height_m: drop height in metres, 0 < h <= 1000.
        planet: earth or mars.
        samples: how many samples, 1 to 10.
        marks: heights to report.
    """
    return 0.0


def test_one_line_names_every_parameter_with_type_range_and_optionality() -> None:
    schema = get_tool("demo_drop_time").schema()
    schema["function"]["parameters"]["properties"]["height_m"] |= {"exclusiveMinimum": 0, "maximum": 1000}
    schema["function"]["parameters"]["properties"]["planet"]["enum"] = ["earth", "mars"]
    schema["function"]["parameters"]["properties"]["samples"] |= {"minimum": 1, "maximum": 10}
    line = compact_tool_line(schema)
    assert line == (
        "- demo_drop_time(height_m (0..1000], planet?: earth|mars, samples?: int [1..10], marks?: [number]): "
        "Time for a dropped object to reach the ground."
    )


def test_sanity_bounds_are_left_out_and_long_summaries_are_cut_at_a_word() -> None:
    line = compact_tool_line(get_tool("solve_diffusion_1d").schema())
    assert "1e+09" not in line and "1000000000" not in line
    assert "diffusivity >0" in line
    assert line.endswith("…") and "  " not in line


def test_the_three_pde_tools_fit_in_1000_characters() -> None:
    schemas = [get_tool(name).schema() for name in PDE_TOOLS]
    text = fallback_tools_prompt(schemas)
    assert text.startswith(FALLBACK_INSTRUCTIONS)
    tool_lines = text[len(FALLBACK_INSTRUCTIONS) :]
    assert len(tool_lines) <= 1000
    assert [line.split("(")[0] for line in tool_lines.splitlines()] == [f"- {name}" for name in PDE_TOOLS]
