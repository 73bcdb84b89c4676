"""What a domain is: the contract a ``tasks/<domain>/domain.py`` (or a third-party package) fulfils.

A domain is two folders: its tools (functions registered with ``@tool``) and its tasks (task YAMLs, the
frozen test split, a generator). :class:`Domain` names everything the harness asks of them: the CLI's
``toolwise generate``, the reference-replay check and the quality gates, the tool-latency benchmark, the
open-answer scorer and training's problem draws. Dependency-free: nothing here imports a domain, a backend
or lm-eval (``bench/task_index.py`` finds the domains).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from toolwise.bench.problem import Problem

ENTRY_POINT_GROUP = "toolwise.domains"  # third-party domains: an entry point naming a Domain object
_NAME = re.compile(r"[a-z][a-z0-9_]*")


class GenerateProblems(Protocol):
    """``generate(n, seed, split)``: ``n`` problems, deterministic in ``seed``; ``kind`` where a domain has several."""

    def __call__(self, n: int, seed: int, split: str = ..., **options: Any) -> list[Problem]: ...


KeyFromToolResults = Callable[[Problem, list[Any]], Any]
OpenScorer = Callable[[Problem, str], float]
PerformanceProbe = Callable[[int], dict[str, list[float]]]


@dataclass(frozen=True)
class Domain:
    """A science's tools and problems, as the harness sees them.

    ``key_from_tool_results(problem, results)`` turns the results of replaying ``problem.reference_calls``
    into the key (a letter, a number, an open question's rubric): equal to ``problem.answer`` on every
    problem is the dataset's self-check. ``open_scorer(problem, final_text)`` grades open answers in [0, 1].
    ``performance_probe(repeats)`` times what the per-call table of ``python -m toolwise.bench.perf.tool_latency``
    cannot show (stress cases, a start-up): case name -> milliseconds, one per run; the benchmark prints them.
    """

    name: str
    tool_modules: tuple[str, ...]
    generate_problems: GenerateProblems
    key_from_tool_results: KeyFromToolResults
    task_folder: Path  # holds the domain's <task>.yaml files
    splits: tuple[str, ...] = ("test", "train")
    kinds: tuple[str, ...] = ()  # problem kinds ``generate_problems`` takes as ``kind=`` (e.g. mcq, open)
    open_scorer: OpenScorer | None = None
    performance_probe: PerformanceProbe | None = None

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"domain name {self.name!r} must be lower-case letters, digits and underscores")
        if not {"test", "train"} <= set(self.splits):
            raise ValueError(f"domain {self.name}: splits must include test and train, got {self.splits}")
        object.__setattr__(self, "tool_modules", tuple(self.tool_modules))
        object.__setattr__(self, "task_folder", Path(self.task_folder))

    @classmethod
    def from_module(cls, module: ModuleType, *, name: str | None = None, **fields: Any) -> Domain:
        """The domain whose generator ``module`` defines ``generate_problems`` and ``key_from_tool_results``.

        Its folder is the task folder and, unless ``name`` is given, the domain's name (``tasks/pde/generate.py``
        gives ``pde``); ``fields`` are the other fields (``tool_modules`` at least).
        """
        folder = Path(str(module.__file__)).parent
        missing = [f for f in ("generate_problems", "key_from_tool_results") if not callable(getattr(module, f, None))]
        if missing:
            raise TypeError(f"{module.__name__} defines no {' or '.join(missing)}")
        return cls(
            name=name or folder.name,
            generate_problems=module.generate_problems,
            key_from_tool_results=module.key_from_tool_results,
            task_folder=folder,
            **fields,
        )

    def import_tools(self) -> None:
        """Import the modules whose import registers the domain's tools."""
        for module in self.tool_modules:
            importlib.import_module(module)

    def generate(self, n: int, seed: int, split: str = "train", kind: str | None = None) -> list[Problem]:
        """``n`` problems of ``split`` (and ``kind``, for a domain with several), tools registered first."""
        if split not in self.splits:
            raise ValueError(f"domain {self.name} has no split {split!r}; expected one of {list(self.splits)}")
        if kind is not None and kind not in self.kinds:
            raise ValueError(f"domain {self.name} has no problem kind {kind!r}; kinds: {list(self.kinds) or 'none'}")
        self.import_tools()
        options = {"kind": kind} if kind is not None else {}
        return list(self.generate_problems(n, seed, split, **options))
