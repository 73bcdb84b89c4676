"""From a task name to its training split, generically.

``pde_tool`` -> its YAML in the toolwise task folder -> ``metadata.domain``
(``pde``) -> ``toolwise.tasks.pde.generate.generate_problems(n, seed, "train")``.
Nothing here lists domains: a new task folder is found the same way. Training
questions that repeat a test question of the task are dropped (and counted).
"""

from __future__ import annotations

import importlib
import importlib.resources
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toolwise.bench.lmeval_hooks import tasks_dir
from toolwise.bench.loop import import_tool_modules
from toolwise.bench.problem import Problem, read_jsonl

log = logging.getLogger(__name__)


class _TaskYamlLoader(yaml.SafeLoader):
    """Reads lm-eval task YAML; ``!function`` tags are kept as plain strings."""


_TaskYamlLoader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node))


@dataclass
class TaskInfo:
    """What training needs to know about a toolwise task."""

    name: str
    domain: str
    tool_modules: list[str] = field(default_factory=list)
    test_file: Path | None = None

    def test_problems(self) -> list[Problem]:
        return read_jsonl(self.test_file) if self.test_file and self.test_file.exists() else []


def _task_yamls(root: str | Path | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """Every toolwise task YAML (path, contents), with the ``tag`` of an included template filled in."""
    out = []
    for path in sorted(Path(root or tasks_dir()).rglob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskYamlLoader) or {}
        except yaml.YAMLError:
            continue
        if not isinstance(data, dict) or not data.get("task"):
            continue
        if "tag" not in data and data.get("include"):
            included = (path.parent / data["include"]).resolve()
            if included.exists():
                template = yaml.load(included.read_text(encoding="utf-8"), Loader=_TaskYamlLoader) or {}
                data = {"tag": template.get("tag"), **data}
        out.append((path, data))
    return out


def find_task(name: str, root: str | Path | None = None) -> TaskInfo:
    """The task called ``name`` among the toolwise task YAML files (``metadata.domain`` names its domain)."""
    for path, data in _task_yamls(root):
        if data.get("task") != name:
            continue
        metadata = data.get("metadata") or {}
        domain = metadata.get("domain") or path.parent.name
        return TaskInfo(name, domain, list(metadata.get("tool_modules") or []), _test_file(data, path))
    raise ValueError(f"no toolwise task named '{name}' under {Path(root or tasks_dir())}")


def expand_tasks(spec: str, root: str | Path | None = None) -> list[str]:
    """Task names from ``climate_tool,pde_tool`` or a group (a tag such as ``scitool``), in the order given."""
    yamls = _task_yamls(root)
    names: list[str] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        if any(data["task"] == item for _, data in yamls):
            found = [item]
        else:
            found = [data["task"] for _, data in yamls if item in _as_list(data.get("tag"))]
            if not found:
                raise ValueError(f"no toolwise task or group named '{item}'")
        names.extend(n for n in found if n not in names)
    return names


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []


def _test_file(data: dict[str, Any], yaml_path: Path) -> Path | None:
    kwargs = data.get("dataset_kwargs") or {}
    if kwargs.get("data_file"):
        return Path(kwargs["data_file"])
    if kwargs.get("package") and kwargs.get("file"):
        try:
            return Path(str(importlib.resources.files(kwargs["package"]).joinpath(kwargs["file"])))
        except ModuleNotFoundError:
            return yaml_path.parent / kwargs["file"]
    return None


def generate_training_split(task: TaskInfo, n: int, seed: int) -> list[Problem]:
    """``n`` training problems from the task's domain generator."""
    module_name = f"toolwise.tasks.{task.domain}.generate"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ValueError(
                f"task '{task.name}' (domain '{task.domain}') has no generator {module_name}; "
                "pass a problems file with --train-file instead"
            ) from None
        raise
    import_tool_modules(task.tool_modules)
    return list(module.generate_problems(n, seed, split="train"))


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
        import_tool_modules(task.tool_modules)
    ids = [p.id for p in problems]
    if len(set(ids)) != len(ids):
        raise ValueError("training problems must have unique ids")
    problems, dropped = drop_test_duplicates(problems, task.test_problems() if task else [])
    return problems, {"generated": len(ids), "test_duplicates_dropped": dropped, "kept": len(problems)}
