"""Make a plain ``lm_eval`` process find the ``toolwise`` model and tasks.

lm-eval 0.4.13 has no plugin mechanism. Three layers, from zero-config to sure:
1. entry points ``lm_eval.models`` / ``lm_eval.tasks`` in pyproject (proposed
   upstream; used once lm-eval reads them);
2. ``toolwise.pth`` imports ``toolwise.bench._autoload`` at start-up, which
   calls :func:`install` - a no-op unless this process is the ``lm_eval`` CLI,
   idempotent (a venv may process a .pth twice), and off when
   ``TOOLWISE_NO_LMEVAL_HOOK`` is set;
3. ``toolwise-eval``: the lm_eval CLI with the hook forced on (same flags).

Inside that process the hook also skips lm-eval's index of its ~14,700 built-in
tasks when every task asked for is a toolwise one (the index costs 7-16 s), and
appends the toolwise summary to the table lm_eval prints.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

MODEL_NAME = "toolwise"
MODEL_TARGET = "toolwise.bench.lmeval_model:ToolAgentLM"  # the defining module, or lm-eval rejects the alias
DISABLE_ENV = "TOOLWISE_NO_LMEVAL_HOOK"

_installed = False
# What this lm_eval process logged: task -> samples file, and the --output_path it went to.
_samples_files: dict[str, Path] = {}
_output_path: list[str] = []


def tasks_dir() -> str:
    """The folder holding toolwise's own task YAMLs (``task_folders()`` adds those of third-party domains)."""
    from toolwise.bench.task_index import BUILTIN_TASKS

    return str(BUILTIN_TASKS)


def _is_lm_eval_cli() -> bool:
    argv0 = os.path.basename(sys.argv[0]) if sys.argv else ""
    if argv0 in ("lm_eval", "lm-eval"):
        return True
    orig = list(getattr(sys, "orig_argv", []))
    if "-m" in orig:
        i = orig.index("-m")
        return orig[i + 1 : i + 2] in (["lm_eval"], ["lm_eval.__main__"])
    return False


def install(force: bool = False) -> bool:
    """Register the model and the task folder with lm-eval; True if this call did it."""
    global _installed
    if _installed:
        return False
    if not force and (os.environ.get(DISABLE_ENV) or not _is_lm_eval_cli()):
        return False
    _installed = True
    try:
        from toolwise.bench.secrets import scrub_argv

        scrub_argv(sys.argv)  # before lm-eval saves --model_args: an api_key= there must not be written anywhere
        register_model()
        add_task_folder()
        add_summary()
    except Exception as exc:  # never break the interpreter start-up
        print(f"[toolwise] lm_eval hook not installed: {exc!r}", file=sys.stderr)
        return False
    return True


def register_model() -> None:
    """Register ``toolwise`` lazily, after lm-eval's own models (else the built-ins vanish)."""
    import lm_eval.api.registry as registry
    import lm_eval.models  # noqa: F401  - fills the registry with the built-ins first

    if MODEL_NAME not in registry.model_registry:
        registry.model_registry.register(MODEL_NAME, target=MODEL_TARGET)


def add_task_folder() -> None:
    """Put the toolwise task folders first on every TaskManager's include path (a user path still wins).

    The folders are toolwise's tasks/ and the task folder of every domain a package registers under the
    entry-point group ``toolwise.domains`` (bench/task_index.py).
    """
    from lm_eval.tasks import manager

    from toolwise.bench.task_index import task_folders

    original = manager.TaskManager.__init__
    if getattr(original, "_toolwise", False):
        return
    folders = [str(folder) for folder in task_folders()]

    # The signature of lm-eval 0.4.x's TaskManager.__init__ (hence the <0.5 pin).
    def __init__(
        self: Any, verbosity: Any = None, include_path: Any = None, include_defaults: bool = True, metadata: Any = None
    ) -> None:
        if include_path is None:
            paths: list[Any] = []
        elif isinstance(include_path, (list, tuple)):
            paths = list(include_path)
        else:
            paths = [include_path]
        given = set(map(str, paths))
        paths = [*(folder for folder in folders if folder not in given), *paths]
        # Only our own names qualify: a user's task folder may group built-in tasks, which then need the index.
        if include_defaults and only_toolwise_tasks(requested_tasks(sys.argv), folders):
            include_defaults = False  # the built-ins are not needed: skip their 7-16 s index
        original(self, verbosity=verbosity, include_path=paths, include_defaults=include_defaults, metadata=metadata)

    __init__._toolwise = True  # type: ignore[attr-defined]
    __init__._toolwise_original = original  # type: ignore[attr-defined]
    manager.TaskManager.__init__ = __init__  # type: ignore[method-assign]


def requested_tasks(argv: list[str]) -> list[str]:
    """The names given to ``--tasks`` on an lm_eval command line (comma-separated; the last flag wins)."""
    names: list[str] = []
    for i, arg in enumerate(argv):
        value = None
        if arg == "--tasks" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--tasks="):
            value = arg.split("=", 1)[1]
        if value is not None:
            names = [name.strip() for name in value.split(",") if name.strip()]
    return names


def only_toolwise_tasks(names: list[str], include_paths: list[Any]) -> bool:
    """True when every name is a task, tag or group of the given folders alone (no globs, no files)."""
    if not names or any(set(name) & set("*?[/") or name.endswith((".yaml", ".yml")) for name in names):
        return False
    from lm_eval.tasks import manager

    known = _original_init_manager(manager, include_paths).all_tasks
    return all(name in known for name in names)


def _original_init_manager(manager: Any, include_paths: list[Any]) -> Any:
    """A TaskManager of the include paths only, built with lm-eval's own __init__ (50 ms)."""
    task_manager = manager.TaskManager.__new__(manager.TaskManager)
    init = getattr(manager.TaskManager.__init__, "_toolwise_original", manager.TaskManager.__init__)
    init(task_manager, include_path=include_paths, include_defaults=False)
    return task_manager


def add_summary() -> None:
    """Append the toolwise summary to lm_eval's results table; note where each task's samples were saved."""
    import lm_eval.utils as utils
    from lm_eval.loggers.evaluation_tracker import EvaluationTracker

    original_table = utils.make_table
    if getattr(original_table, "_toolwise", False):
        return
    original_save = EvaluationTracker.save_results_samples

    def save_results_samples(self: Any, task_name: str, samples: Any) -> None:
        original_save(self, task_name, samples)
        if self.output_path:
            folder = Path(self.output_path)
            folder = (
                folder.parent
                if folder.suffix == ".json"
                else folder / str(self.general_config_tracker.model_name_sanitized)
            )
            path = folder / f"samples_{task_name}_{self.date_id}.jsonl"
            if path.exists():
                _samples_files[task_name] = path
                _output_path[:] = [str(self.output_path)]

    def make_table(result_dict: Any, column: str = "results", sort_results: bool = False) -> str:
        table = original_table(result_dict, column, sort_results)
        if column != "results":
            return table
        try:
            from toolwise.bench.summary import render_summary, summarize

            text = render_summary(summarize(result_dict, _samples_files), next(iter(_output_path), None))
        except Exception as exc:  # the summary must never cost the user lm-eval's own table
            text = f"[toolwise] summary not shown: {exc!r}"
        return f"{table}\n{text}\n" if text else table

    make_table._toolwise = True  # type: ignore[attr-defined]
    utils.make_table = make_table
    EvaluationTracker.save_results_samples = save_results_samples  # type: ignore[method-assign]


def lm_eval_main() -> None:
    """``toolwise-eval``: the lm_eval command line with toolwise registered."""
    install(force=True)
    from lm_eval.__main__ import cli_evaluate

    cli_evaluate()
