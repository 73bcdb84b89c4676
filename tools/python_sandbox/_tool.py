"""``run_python``: the tool a model calls to compute with Python."""

from __future__ import annotations

import signal
from typing import Annotated

import pydantic

from toolwise.tools import ToolError, tool
from toolwise.tools.python_sandbox._limits import DEFAULT_LIMITS, SandboxLimits
from toolwise.tools.python_sandbox._runner import SandboxUnavailable, SnippetRun, run_snippet

MAX_CODE_CHARS = 50_000
# The budget every run_python call gets; the description below states the defaults to the model.
TOOL_LIMITS: SandboxLimits = DEFAULT_LIMITS


@tool
def run_python(code: Annotated[str, pydantic.Field(min_length=1, max_length=MAX_CODE_CHARS)]) -> str:
    """Run a Python 3 script in an isolated sandbox and return what it prints (stdout, then stderr).

    numpy, scipy and sympy are installed. Use print() to show every value you need. Each call starts
    a fresh interpreter (no state is kept between calls) with no network and no files except a private
    scratch directory. Limits: 10 s, 1 GiB of memory; output is cut to 8,000 characters.

    Args:
        code: The complete Python source to run as a script; print the results you want to read.
    """
    try:
        run = run_snippet(code, TOOL_LIMITS)
    except SandboxUnavailable as exc:
        raise ToolError(f"the Python sandbox is unavailable on this machine: {exc}") from None
    if not run.ok:
        raise ToolError(describe_failure(run, TOOL_LIMITS))
    text = combined_output(run, TOOL_LIMITS)
    return text if text.strip() else "(the script printed nothing; use print() to show results)"


def combined_output(run: SnippetRun, limits: SandboxLimits) -> str:
    """stdout, then stderr under a marker, shortened to what the model is shown."""
    parts = [run.stdout.rstrip("\n")] if run.stdout.strip() else []
    # faulthandler's stack also lists the sandbox's own start-up frames ("<string>"): the model needs its own.
    stderr = "\n".join(line for line in run.stderr.splitlines() if not line.startswith('  File "<string>"'))
    if stderr.strip():
        parts.append("[stderr]\n" + stderr.rstrip("\n"))
    return shorten("\n".join(parts), limits.shown_output_chars)


def describe_failure(run: SnippetRun, limits: SandboxLimits) -> str:
    """Why the snippet did not finish cleanly, followed by what it printed."""
    if run.timed_out:
        reason = f"ran past the {limits.wall_seconds:g} s time limit and was stopped"
    elif run.output_exceeded:
        reason = f"printed more than {limits.max_output_bytes // 1024} KiB of output and was stopped"
    elif run.memory_exceeded:
        reason = (
            f"ran out of memory: all its processes, memfds and files together may hold {limits.memory_mib} MiB "
            f"(+ {limits.scratch_mib} MiB of files), and the kernel stopped it"
        )
    elif run.signal == signal.SIGXCPU or (run.signal == signal.SIGKILL and _looks_cpu_bound(run, limits)):
        reason = f"used more than {limits.cpu_seconds} s of CPU time and was stopped"
    elif _last_line(run.stderr).split(":")[0].endswith("MemoryError"):
        reason = f"ran out of memory (the limit is {limits.memory_mib} MiB)"
    elif run.signal is not None:
        reason = f"crashed with signal {_signal_name(run.signal)}"
    elif "Traceback (most recent call last)" in run.stderr or "SyntaxError" in run.stderr:
        reason = f"raised an exception (exit status {run.exit_code})"
    else:
        reason = f"failed with exit status {run.exit_code}"
    output = combined_output(run, limits)
    return f"the script {reason}." + (f"\n{output}" if output else "")


def shorten(text: str, limit: int) -> str:
    """Keep the start and the (usually more telling) end of a long text."""
    if len(text) <= limit:
        return text
    head = limit // 4
    tail = limit - head
    omitted = len(text) - head - tail
    return f"{text[:head]}\n... [{omitted} characters omitted] ...\n{text[-tail:]}"


def _looks_cpu_bound(run: SnippetRun, limits: SandboxLimits) -> bool:
    # SIGKILL at the hard CPU limit arrives one second after SIGXCPU was ignored.
    return run.seconds >= limits.cpu_seconds


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
