"""Make a plain ``lm_eval`` process find the ``toolwise`` model and tasks.

lm-eval 0.4.13 has no plugin mechanism. Three layers, from zero-config to sure:
1. entry points ``lm_eval.models`` / ``lm_eval.tasks`` in pyproject (proposed
   upstream; used once lm-eval reads them);
2. ``toolwise.pth`` imports ``toolwise.bench._autoload`` at start-up, which
   calls :func:`install` - a no-op unless this process is the ``lm_eval`` CLI,
   idempotent (a venv may process a .pth twice), and off when
   ``TOOLWISE_NO_LMEVAL_HOOK`` is set;
3. ``toolwise-eval``: the lm_eval CLI with the hook forced on (same flags).
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


def tasks_dir() -> str:
    """The folder holding every toolwise task YAML."""
    return str(Path(__file__).resolve().parent.parent / "tasks")


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
        register_model()
        add_task_folder()
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
    """Put the toolwise task folder first on every TaskManager's include path (a user path still wins)."""
    from lm_eval.tasks import manager

    original = manager.TaskManager.__init__
    if getattr(original, "_toolwise", False):
        return
    folder = tasks_dir()

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
        if folder not in map(str, paths):
            paths = [folder, *paths]
        original(self, verbosity=verbosity, include_path=paths, include_defaults=include_defaults, metadata=metadata)

    __init__._toolwise = True  # type: ignore[attr-defined]
    manager.TaskManager.__init__ = __init__  # type: ignore[method-assign]


def lm_eval_main() -> None:
    """``toolwise-eval``: the lm_eval command line with toolwise registered."""
    install(force=True)
    from lm_eval.__main__ import cli_evaluate

    cli_evaluate()
