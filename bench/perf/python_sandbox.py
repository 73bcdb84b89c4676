"""Round-trip time of the Python sandbox: from the call to the parsed result, jail built and torn down.

    python -m toolwise.bench.perf.python_sandbox --repeats 30

Cases: a trivial snippet through ``run_snippet`` and through the registered
``run_python`` tool (uncached), snippets that import numpy and sympy, and, as a
baseline, the same interpreter started without a jail (``python -S -c``). The
figures go in docs/sandbox.md; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from toolwise.tools import get_tool
from toolwise.tools.python_sandbox import DEFAULT_LIMITS, ensure_available, run_snippet


def timings(action: Callable[[int], object], repeats: int) -> list[float]:
    action(-1)  # warm-up: the first call also probes the machine
    seconds = []
    for i in range(repeats):
        start = time.perf_counter()
        action(i)
        seconds.append(time.perf_counter() - start)
    return seconds


def _checked(run_ok: bool, what: str) -> None:
    if not run_ok:
        raise RuntimeError(f"{what} failed")


def cases() -> dict[str, Callable[[int], object]]:
    tool = get_tool("run_python")
    return {
        "run_snippet: print(1)": lambda i: _checked(run_snippet("print(1)", DEFAULT_LIMITS).ok, "trivial"),
        "run_python tool, uncached: print(i)": lambda i: _checked(tool.call({"code": f"print({i})"}).ok, "tool"),
        "run_snippet: import numpy": lambda i: _checked(run_snippet("import numpy", DEFAULT_LIMITS).ok, "numpy"),
        "run_snippet: import sympy": lambda i: _checked(run_snippet("import sympy", DEFAULT_LIMITS).ok, "sympy"),
        "no jail: python -S -c print(1)": lambda i: subprocess.run(
            [os.path.realpath(sys.executable), "-S", "-c", "print(1)"], check=True, capture_output=True
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    ensure_available()
    load = os.getloadavg()[0]
    print(f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, load {load:.1f}")
    print("| case | median ms | p90 ms | min ms |")
    print("|---|---:|---:|---:|")
    for name, action in cases().items():
        seconds = sorted(timings(action, args.repeats))
        p90 = seconds[min(len(seconds) - 1, int(0.9 * len(seconds)))]
        print(f"| {name} | {1e3 * statistics.median(seconds):.0f} | {1e3 * p90:.0f} | {1e3 * seconds[0]:.0f} |")


if __name__ == "__main__":
    main()
