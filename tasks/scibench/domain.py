"""The scibench domain: SciBench textbook problems, answered in the stated unit, checked by a sandboxed snippet."""

from toolwise.bench.domain import Domain
from toolwise.tasks.scibench import generate

DOMAIN = Domain.from_module(generate, tool_modules=("toolwise.tools.python_sandbox",))
