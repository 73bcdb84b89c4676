"""Failures a user must see: one-line errors for their mistakes, one-line warnings for failed problems.

``UsageError`` is a mistake in what the user asked for (an unknown or invalid ``--model_args`` value, a
corrupt cache file): inside ``lm_eval`` it ends the run with one line that says what to fix, not a
traceback. ``FatalBackendError`` (a wrong key, a server that cannot be reached) is shown the same way.
After each batch of conversations, ``warn_about_failures`` prints one line per task whose problems ended
on a backend or reply error, and one per tool that failed on every call (a tool that is unavailable).
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from toolwise.bench.backends._retry import FatalBackendError
from toolwise.bench.transcript import Transcript

log = logging.getLogger("toolwise")

_FIRST_ERROR_CHARS = 200


class UsageError(ValueError):
    """The user asked for something that cannot work; the message says what to change."""


def one_line(text: str, limit: int = 500) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


def install_user_error_hook() -> None:
    """Show UsageError and FatalBackendError as one line on stderr (exit status 1); others as usual."""
    previous = sys.excepthook
    if getattr(previous, "_toolwise", False):
        return

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if isinstance(exc, UsageError | FatalBackendError):
            # A new line first: a progress bar may have left the cursor mid-line.
            print(f"\ntoolwise: error: {one_line(str(exc), 2000)}", file=sys.stderr)
            return
        previous(kind, exc, tb)

    hook._toolwise = True  # type: ignore[attr-defined]
    sys.excepthook = hook


def warn_about_failures(requests: Sequence[Any], transcripts: Sequence[Transcript], backend: str) -> None:
    """One warning line per task with failed problems, per tool that failed on every call; stop if all failed.

    ``requests`` are lm-eval Instances (``task_name``, ``doc_id``), one per transcript.
    """
    failed: dict[str, set[Any]] = defaultdict(set)
    problems: dict[str, set[Any]] = defaultdict(set)
    first_error: dict[str, str] = {}
    calls: dict[tuple[str, str], list[str | None]] = defaultdict(list)
    for request, transcript in zip(requests, transcripts, strict=True):
        task = str(getattr(request, "task_name", None) or "?")
        problem = getattr(request, "doc_id", None), transcript.problem_id
        problems[task].add(problem)
        if transcript.failed:
            failed[task].add(problem)
            first_error.setdefault(task, transcript.error or "")
        for record in transcript.tool_calls:
            calls[(task, record.name)].append(record.error)
    if transcripts and all(t.failed and t.stop_reason == "backend_error" for t in transcripts):
        raise FatalBackendError(
            f"backend {backend}: every one of the {len(transcripts)} requests failed, none was answered; "
            f"first error: {one_line(transcripts[0].error or '', _FIRST_ERROR_CHARS)}"
        )
    for task in sorted(failed):
        log.warning(
            "toolwise: %d of %d problems of %s failed (backend or reply error; scored 0, n_failed in the results); "
            "first error: %s",
            len(failed[task]),
            len(problems[task]),
            task,
            one_line(first_error[task], _FIRST_ERROR_CHARS),
        )
    for (task, tool), errors in sorted(calls.items()):
        unavailable = next((e for e in errors if e is not None and "unavailable" in e), None)
        if unavailable is not None:
            log.warning(
                "toolwise: tool %s is unavailable in %s (%d of %d calls failed): %s",
                tool,
                task,
                sum(e is not None for e in errors),
                len(errors),
                one_line(unavailable, _FIRST_ERROR_CHARS),
            )
        elif len(errors) >= 2 and all(e is not None for e in errors) and _same_failure(errors):
            log.warning(
                "toolwise: tool %s failed on all %d calls in %s (unavailable?): %s",
                tool,
                len(errors),
                task,
                one_line(errors[0] or "", _FIRST_ERROR_CHARS),
            )


def _same_failure(errors: list[str | None]) -> bool:
    """Every call failed the same way (the tool, not the model's arguments): the first 60 characters agree."""
    heads = {(e or "")[:60] for e in errors}
    return len(heads) == 1
