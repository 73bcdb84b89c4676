"""The epidemiology domain: California county epidemics, as multiple choice and open vaccine allocation."""

from toolwise.bench.domain import Domain
from toolwise.tasks.epidemiology import generate, open_scoring, perf
from toolwise.tasks.kit.splits import SPLITS

DOMAIN = Domain.from_module(
    generate,
    tool_modules=("toolwise.tools.epidemiology",),
    splits=SPLITS,
    kinds=("mcq", "open"),
    open_scorer=open_scoring.score,
    performance_probe=perf.probe,
)
