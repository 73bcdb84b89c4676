"""The sandbox's performance probe (math and scibench share its ``run_python``; math's domain runs it).

What the per-call table cannot show: the round trip of a trivial snippet (jail built and torn down), the
cost of the imports a snippet makes, and, as a baseline, the same interpreter started without a jail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from toolwise.tools.python_sandbox import DEFAULT_LIMITS, ensure_available, run_snippet


def _no_jail() -> bool:
    command = [os.path.realpath(sys.executable), "-S", "-c", "print(1)"]
    return subprocess.run(command, capture_output=True).returncode == 0


def probe(repeats: int) -> dict[str, list[float]]:
    """Milliseconds of each case, ``5 * repeats`` runs after one warm-up run."""
    ensure_available()
    cases = {
        "run_snippet: print(1)": lambda: run_snippet("print(1)", DEFAULT_LIMITS).ok,
        "run_snippet: import numpy": lambda: run_snippet("import numpy", DEFAULT_LIMITS).ok,
        "run_snippet: import sympy": lambda: run_snippet("import sympy", DEFAULT_LIMITS).ok,
        "no jail: python -S -c print(1)": _no_jail,
    }
    out: dict[str, list[float]] = {}
    for name, case in cases.items():
        case()
        out[name] = []
        for _ in range(5 * repeats):
            start = time.perf_counter()
            if not case():
                raise RuntimeError(f"{name} failed")
            out[name].append(1000 * (time.perf_counter() - start))
    return out
