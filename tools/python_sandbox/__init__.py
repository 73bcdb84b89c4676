"""A sandboxed Python interpreter: the code tool of the MATH and SciBench tasks.

Importing this package registers the ``run_python`` tool. ``run_snippet`` is
the library function under it: one snippet, one bubblewrap jail with
kernel-enforced limits (docs/sandbox.md has the threat model).
"""

from toolwise.tools.python_sandbox._limits import DEFAULT_LIMITS, SandboxLimits
from toolwise.tools.python_sandbox._runner import SandboxUnavailable, SnippetRun, ensure_available, run_snippet
from toolwise.tools.python_sandbox._tool import run_python

__all__ = [
    "DEFAULT_LIMITS",
    "SandboxLimits",
    "SandboxUnavailable",
    "SnippetRun",
    "ensure_available",
    "run_python",
    "run_snippet",
]
