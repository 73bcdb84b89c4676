"""From a task name to its training split, generically.

``pde_tool`` -> its YAML (bench/task_index.py) -> ``metadata.domain`` (``pde``) -> that
``Domain``'s ``generate(n, seed, "train")``. Nothing here lists domains: a domain found by the index
(toolwise's tasks/<d>/domain.py or a package's entry point) is found the same way. Training
questions that repeat a test question of the task are dropped (and counted).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from toolwise.bench.problem import Problem, read_jsonl
from toolwise.bench.task_index import TaskInfo, expand_tasks, find_domain, find_task

__all__ = ["TaskInfo", "drop_test_duplicates", "expand_tasks", "find_task", "load_training_problems"]

log = logging.getLogger(__name__)


def generate_training_split(task: TaskInfo, n: int, seed: int) -> list[Problem]:
    """``n`` training problems from the generator of the task's domain."""
    domain = find_domain(task.domain)
    if domain is None:
        raise ValueError(
            f"task '{task.name}' names domain '{task.domain}', which no toolwise domain or entry point provides; "
            "pass a problems file with --train-file instead"
        )
    return domain.generate(n, seed, split="train")


def drop_test_duplicates(problems: list[Problem], test_problems: list[Problem]) -> tuple[list[Problem], int]:
    """Training problems whose question (with options) or id is also in the test split are removed."""
    test_questions = {p.prompt_text().strip() for p in test_problems}
    test_ids = {p.id for p in test_problems}
    kept = [p for p in problems if p.prompt_text().strip() not in test_questions and p.id not in test_ids]
    dropped = len(problems) - len(kept)
    if dropped:
        log.warning("dropped %d training problems that repeat a test question", dropped)
    return kept, dropped


def load_training_problems(
    task_name: str, n: int, seed: int, train_file: str | None = None
) -> tuple[list[Problem], dict[str, Any]]:
    """The training problems of a run and counts for the summary (generated, test duplicates dropped).

    ``task_name`` may name several tasks (``climate_tool,pde_tool``) or a group (``scitool``): each task gives
    ``n`` problems of its own training split, in its own prompts and tools, and the sets are concatenated.
    """
    names = expand_tasks(task_name) if task_name and not train_file else []
    if len(names) > 1:
        problems: list[Problem] = []
        per_task: dict[str, Any] = {}
        for name in names:
            task_problems, per_task[name] = load_training_problems(name, n, seed)
            problems.extend(task_problems)
        totals = {
            key: sum(c[key] for c in per_task.values()) for key in ("generated", "test_duplicates_dropped", "kept")
        }
        return problems, {**totals, "per_task": per_task}
    task = find_task(names[0] if names else task_name) if task_name else None
    if train_file:
        problems = read_jsonl(train_file)[:n] if n else read_jsonl(train_file)
    elif task is not None:
        problems = generate_training_split(task, n, seed)
    else:
        raise ValueError("give a task (--task) or a problems file (--train-file)")
    if task is not None:
        for module in task.tool_modules:
            importlib.import_module(module)
    ids = [p.id for p in problems]
    if len(set(ids)) != len(ids):
        raise ValueError("training problems must have unique ids")
    problems, dropped = drop_test_duplicates(problems, task.test_problems() if task else [])
    return problems, {"generated": len(ids), "test_duplicates_dropped": dropped, "kept": len(problems)}
