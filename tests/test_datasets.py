"""Every committed test split, whatever its domain: well formed, fair to guessers, and solvable by its tools.

Domains are discovered from the task YAMLs, so a new domain is checked with no edit here.
"""

from __future__ import annotations

import importlib.resources
from collections import Counter
from pathlib import Path

import pytest
import yaml

from toolwise.bench.dataset_checks import chance_margin, format_guesser_accuracies, guessers_above_chance
from toolwise.bench.evaluate import evaluate, task_manager
from toolwise.bench.lmeval_hooks import tasks_dir
from toolwise.bench.loop import import_tool_modules
from toolwise.bench.problem import Problem, read_jsonl
from toolwise.bench.solutions import mentions_tools
from toolwise.tools import get_tool

TASK_YAMLS = sorted(Path(tasks_dir()).glob("*/*.yaml"))


def _config(path: Path) -> dict:
    return yaml.safe_load(path.read_text().replace("!function", ""))


def _packaged_splits() -> list[tuple[str, Path, list[str]]]:
    splits = []
    for path in TASK_YAMLS:
        config = _config(path)
        kwargs = config.get("dataset_kwargs") or {}
        if "package" in kwargs and "file" in kwargs:
            data = Path(str(importlib.resources.files(kwargs["package"]).joinpath(kwargs["file"])))
            splits.append((config["task"], data, config.get("metadata", {}).get("tool_modules", [])))
    return splits


SPLITS = _packaged_splits()
SPLIT_IDS = [s[0] for s in SPLITS]


def _load(data: Path, tool_modules: list[str]) -> list[Problem]:
    import_tool_modules(tool_modules)
    return read_jsonl(data)


def test_every_task_yaml_is_indexed_by_lm_eval() -> None:
    # lm-eval skips a broken YAML silently; the symptom would be "task not found" for users.
    names = {_config(p)["task"] for p in TASK_YAMLS}
    indexed = set(task_manager().all_tasks)
    assert names <= indexed, f"not indexed: {sorted(names - indexed)}"
    assert "scitool" in indexed


@pytest.mark.parametrize(("task", "data", "tool_modules"), SPLITS, ids=SPLIT_IDS)
def test_split_is_well_formed(task: str, data: Path, tool_modules: list[str]) -> None:
    problems = _load(data, tool_modules)
    assert problems, f"{data} is empty"
    ids = [p.id for p in problems]
    assert len(ids) == len(set(ids)), "problem ids must be unique"
    for p in problems:
        assert p.tools and p.reference_calls, f"{p.id}: needs tools and reference_calls"
        assert p.solution.strip(), f"{p.id}: needs a worked solution"
        assert mentions_tools(p.solution, p.tools) is None, f"{p.id}: a worked solution must not narrate a tool run"
        for call in p.reference_calls:
            assert call.name in p.tools, f"{p.id}: reference call {call.name} is not offered"
            get_tool(call.name).validate(call.arguments)  # ToolError if the stored arguments are invalid


@pytest.mark.parametrize(("task", "data", "tool_modules"), SPLITS, ids=SPLIT_IDS)
def test_format_only_guessers_are_at_chance(task: str, data: Path, tool_modules: list[str]) -> None:
    problems = [p for p in _load(data, tool_modules) if p.answer_type == "mcq"]
    if not problems:
        pytest.skip(f"{task} has no multiple-choice problems")
    assert guessers_above_chance(problems) == {}, format_guesser_accuracies(problems)
    letters = Counter(p.answer for p in problems)
    margin = chance_margin(len(problems))
    for letter in "ABCD":
        assert abs(letters[letter] / len(problems) - 0.25) <= margin, f"key letters unbalanced: {dict(letters)}"


@pytest.mark.parametrize(("task", "data", "tool_modules"), SPLITS, ids=SPLIT_IDS)
def test_scripted_policies_calibrate_the_task(task: str, data: Path, tool_modules: list[str]) -> None:
    def run(backend: str) -> dict[str, float]:
        row = evaluate([task], f"backend={backend}", log_samples=False)["results"][task]
        return {k.split(",")[0]: v for k, v in row.items() if k.endswith(",none")}

    oracle, always, never = run("oracle"), run("always"), run("never")
    assert oracle["acc_choice"] == 1.0 and oracle["tool_use_acc"] == 1.0
    assert always["tool_rate"] == 1.0 and always["tool_use_acc"] == 0.5
    assert never["tool_rate"] == 0.0 and never["tool_use_acc"] == 0.5
