"""The climate domain: emulated warming, as multiple choice (climate_tool) and open route design (climate_open_tool)."""

from toolwise.bench.domain import Domain
from toolwise.tasks.climate import generate, open_scoring, perf
from toolwise.tasks.kit.splits import SPLITS

DOMAIN = Domain.from_module(
    generate,
    tool_modules=("toolwise.tools.climate",),
    splits=SPLITS,
    kinds=("mcq", "open"),
    open_scorer=open_scoring.score,
    performance_probe=perf.probe,
)
