"""The math domain: the numeric subset of MATH, each answer checked by a Python snippet run in the sandbox."""

from toolwise.bench.domain import Domain
from toolwise.tasks.math import generate, perf

DOMAIN = Domain.from_module(generate, tool_modules=("toolwise.tools.python_sandbox",), performance_probe=perf.probe)
