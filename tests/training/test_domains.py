"""Task name -> domain -> training split, found generically; test questions never enter training."""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import train_problems

from toolwise.bench.problem import write_jsonl
from toolwise.training.domains import drop_test_duplicates, expand_tasks, find_task, load_training_problems


def test_pde_task_is_found_from_its_yaml() -> None:
    task = find_task("pde_tool")
    assert task.domain == "pde"
    assert task.tool_modules == ["toolwise.tools.pde"]
    assert task.test_file is not None and task.test_file.name == "test.jsonl"


def test_unknown_task_is_named() -> None:
    with pytest.raises(ValueError, match="no toolwise task named 'nope_tool'"):
        find_task("nope_tool")


def test_a_task_without_generator_asks_for_a_file(tmp_path: Path) -> None:
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "toy_tool.yaml").write_text(
        "include: x\ntask: toy_tool\nclass: !function a.b\nmetadata: {domain: toyish, tool_modules: []}\n"
    )
    task = find_task("toy_tool", root=tmp_path)
    assert task.domain == "toyish" and task.test_file is None
    from toolwise.training.domains import generate_training_split

    with pytest.raises(ValueError, match="--train-file"):
        generate_training_split(task, 2, 0)


def test_pde_training_split_is_generated_and_disjoint_from_test() -> None:
    problems, counts = load_training_problems("pde_tool", n=4, seed=1)
    assert len(problems) == 4 and counts["generated"] == 4
    test_questions = {p.question for p in find_task("pde_tool").test_problems()}
    assert all(p.domain == "pde" and p.question not in test_questions for p in problems)
    assert all(p.reference_calls and p.solution for p in problems)


def test_test_duplicates_are_dropped_and_counted(tmp_path: Path) -> None:
    train = train_problems(6)
    test = [train[1], train[4]]
    kept, dropped = drop_test_duplicates(train, test)
    assert dropped == 2 and [p.id for p in kept] == [train[i].id for i in (0, 2, 3, 5)]
    path = tmp_path / "train.jsonl"
    write_jsonl(train, path)
    problems, counts = load_training_problems("", n=3, seed=0, train_file=str(path))
    assert [p.id for p in problems] == [p.id for p in train[:3]] and counts["kept"] == 3


def test_several_tasks_and_groups_expand_in_order() -> None:
    assert expand_tasks("climate_tool, pde_tool") == ["climate_tool", "pde_tool"]
    everything = expand_tasks("scitool")
    assert {"climate_tool", "pde_tool", "mujoco_tool", "math_tool"} <= set(everything)
    assert expand_tasks("pde_tool,scitool")[0] == "pde_tool" and len(expand_tasks("pde_tool,scitool")) == len(
        everything
    )
    with pytest.raises(ValueError, match="no toolwise task or group named 'nope'"):
        expand_tasks("pde_tool,nope")


def test_a_multi_task_training_set_keeps_each_task_in_its_own_prompts_and_tools() -> None:
    problems, counts = load_training_problems("climate_tool,pde_tool", 3, seed=1)
    assert [p.domain for p in problems] == ["climate"] * 3 + ["pde"] * 3
    assert counts["kept"] == 6 and set(counts["per_task"]) == {"climate_tool", "pde_tool"}
    assert all(t.startswith("climate_") for t in problems[0].tools)
    assert all(t.startswith("solve_") for t in problems[-1].tools)
