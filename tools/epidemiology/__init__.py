"""Epidemiology: a California county epidemic model and the tools that query it.

Importing this package registers the tools ``epi_forecast``, ``epi_peak``, ``epi_values_on_day``,
``epi_allocation_effect`` and ``epi_county_list``.
"""

from toolwise.tools.epidemiology._allocation import (
    AllocationProblem,
    OptimisedAllocation,
    optimise_allocation,
    target_value,
)
from toolwise.tools.epidemiology._counties import CountyNetwork, california
from toolwise.tools.epidemiology._model import (
    INTERVENTION_KINDS,
    EpidemicModel,
    Measure,
    Scenario,
    Trajectory,
    california_model,
)
from toolwise.tools.epidemiology._outputs import OUTPUT_NAMES, region_series, round_sig
from toolwise.tools.epidemiology._parameters import ContactStructure, DiseaseParameters
from toolwise.tools.epidemiology._scenario import build_scenario
from toolwise.tools.epidemiology.tools import (
    epi_allocation_effect,
    epi_county_list,
    epi_forecast,
    epi_peak,
    epi_values_on_day,
    solver_tolerance,
)

__all__ = [
    "INTERVENTION_KINDS",
    "OUTPUT_NAMES",
    "AllocationProblem",
    "ContactStructure",
    "CountyNetwork",
    "DiseaseParameters",
    "EpidemicModel",
    "Measure",
    "OptimisedAllocation",
    "Scenario",
    "Trajectory",
    "build_scenario",
    "california",
    "california_model",
    "epi_allocation_effect",
    "epi_county_list",
    "epi_forecast",
    "epi_peak",
    "epi_values_on_day",
    "optimise_allocation",
    "region_series",
    "round_sig",
    "solver_tolerance",
    "target_value",
]
