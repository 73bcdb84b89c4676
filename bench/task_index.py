"""The one index of domains and tasks: which domains exist, where their task YAMLs are, what each task reads.

Domains are the ``tasks/<name>/domain.py`` folders of toolwise (each exports ``DOMAIN``) plus every
entry point of the group ``toolwise.domains`` (a third-party package's ``Domain`` object). Tasks are the
YAML files under the task folders of those domains; one YAML loader and one packaged-path resolver serve
the CLI, the lm-eval glue, training and the tests. Nothing here imports lm-eval.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.resources
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from toolwise.bench.domain import ENTRY_POINT_GROUP, Domain
from toolwise.bench.problem import Problem, problem_from_doc, read_jsonl

log = logging.getLogger(__name__)

BUILTIN_TASKS = Path(__file__).resolve().parent.parent / "tasks"
TEMPLATE_YAML = BUILTIN_TASKS / "_default_tool_template_yaml"  # what every toolwise task YAML includes


# Domains -----------------------------------------------------------------------------------------------


@cache
def builtin_domain_names() -> tuple[str, ...]:
    """The folders of toolwise's own tasks/ that define a domain (a ``domain.py``)."""
    return tuple(sorted(p.parent.name for p in BUILTIN_TASKS.glob("*/domain.py")))


def _builtin_domain(name: str) -> Domain:
    return _as_domain(importlib.import_module(f"toolwise.tasks.{name}.domain").DOMAIN, f"tasks/{name}/domain.py")


def _as_domain(value: Any, where: str) -> Domain:
    if not isinstance(value, Domain):
        raise TypeError(f"{where} must name a toolwise.bench.domain.Domain, got {type(value).__name__}")
    return value


@cache
def _plugin_domains(path: tuple[str, ...]) -> dict[str, Domain]:
    """Third-party domains, by entry point (cached per ``sys.path``: a new path is scanned anew).

    A package whose domain cannot be loaded is skipped with a warning that says why: one broken plugin must
    not take toolwise's own domains (or the lm_eval start-up hook) down with it.
    """
    found: dict[str, Domain] = {}
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {point.name} = {point.value} (group {ENTRY_POINT_GROUP})"
        try:
            domain = _as_domain(point.load(), where)
            if domain.name != point.name:
                raise ValueError(f"{where} names domain {domain.name!r}")
        except Exception as exc:
            log.warning("skipping the domain of %s: %s: %s", where, type(exc).__name__, exc)
            continue
        found[domain.name] = domain
    return found


def plugin_domains() -> dict[str, Domain]:
    return _plugin_domains(tuple(sys.path))


def domains() -> dict[str, Domain]:
    """Every domain by name: toolwise's own first, then the entry points (which may not reuse a name)."""
    found = {name: _builtin_domain(name) for name in builtin_domain_names()}
    for name, domain in plugin_domains().items():
        if name in found:
            raise ValueError(f"entry point domain {name!r} clashes with toolwise's own tasks/{name}/")
        found[name] = domain
    return found


def find_domain(name: str) -> Domain | None:
    """The domain called ``name``, or None (importing only that domain when it is one of toolwise's)."""
    if name in builtin_domain_names():
        return _builtin_domain(name)
    return plugin_domains().get(name)


def get_domain(name: str) -> Domain:
    """The domain called ``name``; a ValueError names the known ones and how a package adds one."""
    domain = find_domain(name)
    if domain is None:
        known = ", ".join([*builtin_domain_names(), *plugin_domains()])
        hint = f"a package adds one by an entry point in the group {ENTRY_POINT_GROUP!r}"
        raise ValueError(f"no domain named {name!r} (known: {known}; {hint})")
    return domain


def task_folders() -> list[Path]:
    """Where task YAMLs live: toolwise's tasks/ and the task folder of every third-party domain."""
    folders = [BUILTIN_TASKS]
    for domain in plugin_domains().values():
        folder = domain.task_folder.resolve()
        if folder not in folders and BUILTIN_TASKS not in folder.parents:
            folders.append(folder)
    return folders


# Task YAMLs ----------------------------------------------------------------------------------------------


class _TaskYamlLoader(yaml.SafeLoader):
    """Reads lm-eval task YAML; ``!function`` tags are kept as plain strings."""


_TaskYamlLoader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node))


def read_task_yaml(path: Path) -> dict[str, Any]:
    """A task YAML's own keys (``!function`` as strings) with the ``tag`` of an included file filled in."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskYamlLoader) or {}
    if not isinstance(data, dict):
        return {}
    if "tag" not in data and data.get("include"):
        included = (path.parent / data["include"]).resolve()
        if included.is_file():
            template = yaml.load(included.read_text(encoding="utf-8"), Loader=_TaskYamlLoader) or {}
            data = {"tag": template.get("tag"), **data}
    return data


@dataclass
class TaskInfo:
    """What the CLI, training and the tests need to know about a toolwise task."""

    name: str
    domain: str
    yaml_path: Path
    config: dict[str, Any] = field(repr=False)
    tool_modules: list[str] = field(default_factory=list)
    test_file: Path | None = None  # a packaged or given jsonl; None when a custom_dataset hook loads the split

    @property
    def tags(self) -> list[str]:
        return _as_list(self.config.get("tag"))

    def test_problems(self) -> list[Problem]:
        """The problems of the task's jsonl (none for a task whose ``custom_dataset`` hook loads its split)."""
        return read_jsonl(self.test_file) if self.test_file is not None and self.test_file.exists() else []

    def load_test_split(self, **metadata: Any) -> list[Problem]:
        """The test split lm-eval would evaluate: the jsonl, or what the ``custom_dataset`` hook loads."""
        hook = self.config.get("custom_dataset")
        if self.test_file is not None or not hook:
            return self.test_problems()
        module, _, function = str(hook).strip().rpartition(".")
        dataset = getattr(importlib.import_module(module), function)(**(self.config.get("metadata") or {}), **metadata)
        return [problem_from_doc(row) for row in dataset[self.config.get("test_split", "test")]]


def task_yamls(folders: Iterable[Path] | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """Every task YAML (path, contents) under the task folders; files that are not a task are skipped."""
    out = []
    for folder in folders if folders is not None else task_folders():
        for path in sorted(Path(folder).rglob("*.yaml")):
            try:
                data = read_task_yaml(path)
            except yaml.YAMLError as exc:
                log.warning("skipping %s: not valid YAML (%s)", path, exc)
                continue
            if data.get("task"):
                out.append((path, data))
    return out


def tasks(folders: Iterable[Path] | None = None) -> list[TaskInfo]:
    """Every toolwise task, in folder then file order."""
    return [_task_info(path, data) for path, data in task_yamls(folders)]


def _task_info(path: Path, data: dict[str, Any]) -> TaskInfo:
    metadata = data.get("metadata") or {}
    domain = str(metadata.get("domain") or path.parent.name)
    tool_modules = list(metadata.get("tool_modules") or [])
    if not tool_modules:
        known = find_domain(domain)
        tool_modules = list(known.tool_modules) if known else []
    return TaskInfo(data["task"], domain, path, data, tool_modules, resolve_data_file(data.get("dataset_kwargs"), path))


def find_task(name: str, root: str | Path | None = None) -> TaskInfo:
    """The task called ``name`` (``metadata.domain`` names its domain, else its folder does)."""
    for task in tasks([Path(root)] if root else None):
        if task.name == name:
            return task
    raise ValueError(f"no toolwise task named '{name}' under {root or ', '.join(map(str, task_folders()))}")


def tasks_of_domain(domain: str) -> list[TaskInfo]:
    return [task for task in tasks() if task.domain == domain]


def expand_tasks(spec: str, root: str | Path | None = None) -> list[str]:
    """Task names from ``climate_tool,pde_tool`` or a group (a tag such as ``scitool``), in the order given."""
    known = tasks([Path(root)] if root else None)
    names: list[str] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        found = [item] if any(t.name == item for t in known) else [t.name for t in known if item in t.tags]
        if not found:
            raise ValueError(f"no toolwise task or group named '{item}'")
        names.extend(n for n in found if n not in names)
    return names


def resolve_data_file(dataset_kwargs: dict[str, Any] | None, yaml_path: Path | None = None) -> Path | None:
    """The jsonl a task's ``dataset_kwargs`` name: ``data_file``, or ``file`` inside the installed ``package``.

    The one resolver of packaged paths: a wheel, an editable install and a source checkout all answer
    through ``importlib.resources``; a package that cannot be imported falls back to the YAML's folder.
    """
    kwargs = dataset_kwargs or {}
    if kwargs.get("data_file"):
        return Path(kwargs["data_file"])
    if kwargs.get("package") and kwargs.get("file"):
        try:
            return Path(str(importlib.resources.files(kwargs["package"]).joinpath(kwargs["file"])))
        except ModuleNotFoundError:
            if yaml_path is None:
                raise
            return yaml_path.parent / kwargs["file"]
    return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []
