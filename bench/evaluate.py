"""Run toolwise tasks in-process through lm-eval (tests, notebooks, the training module)."""

from __future__ import annotations

from typing import Any

from lm_eval import simple_evaluate
from lm_eval.tasks import TaskManager
from lm_eval.utils import simple_parse_args_string

from toolwise.bench.lmeval_model import ToolAgentLM
from toolwise.bench.task_index import task_folders


def task_manager(include_defaults: bool = False) -> TaskManager:
    """A TaskManager that sees the toolwise tasks, third-party domains' included (not lm-eval's 14k built-ins unless
    asked)."""
    return TaskManager(include_path=[str(folder) for folder in task_folders()], include_defaults=include_defaults)


def evaluate(
    tasks: list[str],
    model_args: str | dict[str, Any] = "backend=oracle",
    limit: int | float | None = None,
    bootstrap_iters: int = 0,
    log_samples: bool = True,
    manager: TaskManager | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Evaluate the ``toolwise`` model on ``tasks``; returns lm-eval's results dict."""
    args = simple_parse_args_string(model_args) if isinstance(model_args, str) else dict(model_args)
    args.setdefault("progress", False)
    lm = ToolAgentLM.create_from_arg_obj(args)
    results = simple_evaluate(
        model=lm,
        tasks=tasks,
        task_manager=manager or task_manager(),
        limit=limit,
        bootstrap_iters=bootstrap_iters,
        log_samples=log_samples,
        **kwargs,
    )
    if results is None:
        raise RuntimeError("lm-eval returned no results (non-zero rank?)")
    return results
