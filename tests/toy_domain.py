"""A tiny arithmetic domain for harness tests: one tool and problems whose keys it computes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from toolwise.bench.problem import LETTERS, Problem, ToolCall, write_jsonl
from toolwise.tools import ToolError, tool

TEMPLATE_YAML = Path(__file__).resolve().parents[1] / "tasks" / "_default_tool_template_yaml"


@tool
def toy_multiply(a: Annotated[float, Field(ge=-1000, le=1000)], b: Annotated[float, Field(ge=-1000, le=1000)]) -> dict:
    """Multiply two numbers.

    Args:
        a: first factor, between -1000 and 1000.
        b: second factor, between -1000 and 1000.
    """
    if a == 13 and b == 13:
        raise ToolError("13 x 13 is unlucky; choose other numbers")
    return {"product": a * b}


def toy_problems(n: int = 12, answer_type: str = "mcq") -> list[Problem]:
    problems = []
    for i in range(n):
        a, b = 3 + i, 7 + 2 * i
        product = a * b
        if answer_type == "mcq":
            key = LETTERS[i % 4]
            values = [product + 10 * (k - LETTERS.index(key)) for k in range(4)]
            choices = {letter: f"{v:.1f}" for letter, v in zip(LETTERS, values, strict=True)}
            answer: object = key
        else:
            choices, answer = None, float(product)
        problems.append(
            Problem(
                id=f"toy-{answer_type}-{i:03d}",
                domain="toy",
                question=f"What is {a} times {b}?",
                answer_type=answer_type,  # type: ignore[arg-type]
                answer=answer,
                choices=choices,
                tools=["toy_multiply"],
                reference_calls=[ToolCall("toy_multiply", {"a": a, "b": b})],
                solution=f"{a} x {b} = {product}.",
            )
        )
    return problems


def write_toy_task(folder: Path, name: str = "toy_tool", n: int = 12, answer_type: str = "mcq") -> Path:
    """A task YAML + jsonl in ``folder`` that includes the shared toolwise template."""
    data = folder / f"{name}.jsonl"
    write_jsonl(toy_problems(n, answer_type), data)
    (folder / f"{name}.yaml").write_text(
        f"include: {TEMPLATE_YAML}\n"
        f"task: {name}\n"
        f"dataset_kwargs: {{data_file: {data}}}\n"
        "metadata: {version: 1.0, domain: toy, tool_modules: []}\n"
    )
    return data


def score_open_answer(problem: Problem, final_text: str) -> float:
    """A toy rubric: the score is the number written after 'Answer:'."""
    return float(final_text.rsplit("Answer:", 1)[-1].strip())
