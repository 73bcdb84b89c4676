"""Tool-free worked solutions (WKD targets): the never-mention-tools rule, and every domain's training split obeys it.

Each domain's generator writes a worked solution that states the tool's facts as knowledge; training distils
those solutions into the model, so a solution that narrates a tool run would teach a pretend tool call.
"""

from __future__ import annotations

from collections.abc import Callable

import needs
import pytest

from toolwise.bench.problem import Problem
from toolwise.bench.solutions import mentions_tools
from toolwise.tasks.climate import generate as climate
from toolwise.tasks.epidemiology import generate as epidemiology
from toolwise.tasks.kit import public_numeric
from toolwise.tasks.math import data as math_data
from toolwise.tasks.math import generate as math_generate
from toolwise.tasks.mujoco import generate as mujoco
from toolwise.tasks.pde import generate as pde
from toolwise.tasks.scibench import data as sci_data
from toolwise.tasks.scibench import generate as sci_generate
from toolwise.training.collect import solution_scores

NARRATIONS = [
    ("Simulating the scene with simulate_pendulum for 1.2 s gives 2.88", "simulate_pendulum"),
    ("The model gives 17,813 new infections on day 40 (epi_values_on_day).", "epi_values_on_day"),
    ("Computing it with Python prints 680.0, so the answer is 680", "Computing it with"),
    ("The emulator gives 14.2 °C in 2050, so the answer is B.", "emulator"),
    ("Solving the equation on a converged grid gives 3.1 °C.", "converged grid"),
    ("I ran the code and it printed 42, so the answer is 42.", "ran the code"),
    ("The solver returns a peak of 1,200 on day 35.", "solver"),
    ("Numerically integrating the equations of motion, the angle is 12°.", "Numerically integrating"),
    ("After the function call, the result is 0.75.", "function call"),
    ("I called the run_python function; it printed 3.", "run_python"),
    ("Using the tool, the temperature is 12 °C.", "tool"),
    ("A short script computes the sum: 5050.", "script"),
    ("The program outputs 17.", "program outputs"),
    ("Writing a short program that sums the terms gives 5050.", "Writing a short program"),
    ("The forecast gives 3,400 patients in hospital on day 60.", "The forecast gives"),
]

# Worked solutions in the style of MATH and of the generators: ordinary words that a naive filter would flag.
WORKED = [
    r"The function $f(x) = 3x^2 - 5$ gives $f(2) = 7$, so $f(f(2)) = f(7) = 142$. The answer is $\boxed{142}$.",
    r"Let $g$ be the inverse function of $f$. Since $f(3) = 5$, we have $g(5) = 3$, so $\boxed{3}$.",
    r"Each digit of the 4-digit code can be any of 10 digits, so there are $10^4 = \boxed{10000}$ codes.",
    r"Solving the simultaneous equations $x + y = 10$ and $x - y = 2$ gives $x = 6$, so $\boxed{6}$.",
    r"We call a number lucky if it is divisible by the sum of its digits; the smallest is $\boxed{1}$.",
    r"The model rocket reaches a height of $h(t) = -16t^2 + 64t$, largest at $t = 2$: $\boxed{64}$ feet.",
    r"Integrating term by term, $\int_0^1 (x^2 + 1)\,dx = \frac{1}{3} + 1 = \boxed{\frac{4}{3}}$.",
    r"Substituting $u = x^2$ turns the equation into a quadratic with roots $u = 1$ and $u = 4$, so $\boxed{2}$.",
    r"By the Pythagorean theorem the hypotenuse is $\sqrt{5^2 + 12^2} = \boxed{13}$.",
    r"At the beginning of a program, the 105 band members stand in 7 rows of 15, so $\boxed{15}$.",
    r"One computer is programmed to back up data every 5 minutes, the other every 2: $\boxed{10}$ minutes.",
    "A pendulum of length 1.2 m has period 2π√(L/g) = 2.20 s, so it first passes the vertical after 0.55 s, "
    "closest to option B (0.55), so the answer is B",
    "Under SSP1-2.6, the lowest-emission pathway, warming by 2081-2100 is smallest: 1.8 K, so the answer is C.",
    "With R0 = 2.5, an epidemic peaks once 1 − 1/R0 = 60% are immune. The answer is A.",
]


@pytest.mark.parametrize(("text", "phrase"), NARRATIONS, ids=[n[1] for n in NARRATIONS])
def test_narration_of_a_tool_run_is_caught_with_its_phrase(text: str, phrase: str) -> None:
    tools = ["simulate_pendulum", "epi_values_on_day", "run_python"]
    assert (mentions_tools(text, tools) or "").lower() == phrase.lower()


@pytest.mark.parametrize("text", WORKED, ids=range(len(WORKED)))
def test_worked_solutions_in_plain_mathematics_pass(text: str) -> None:
    assert mentions_tools(text, ["run_python", "simulate_pendulum"]) is None


def test_tool_names_are_found_in_any_case_and_only_the_problems_own() -> None:
    assert mentions_tools("Then EPI_PEAK reports day 40.", ["epi_peak"]) == "epi_peak"
    assert mentions_tools("The peak is on day 40.", ["epi_peak"]) is None


TRAINING_SPLITS: dict[str, Callable[[], list[Problem]]] = {
    "mujoco": lambda: mujoco.generate_problems(16, seed=11, split="train"),  # two scenes of each of the 8 tools
    "pde": lambda: pde.generate_problems(12, seed=11, split="train"),
    "climate": lambda: climate.generate_problems(16, seed=11, split="train"),
    "climate_open": lambda: climate.generate_problems(1, seed=11, split="train", kind="open"),
    "epidemiology": lambda: epidemiology.generate_problems(12, seed=11, split="train"),
    "epidemiology_open": lambda: epidemiology.generate_problems(1, seed=11, split="train", kind="open"),
}


@pytest.mark.parametrize("domain", list(TRAINING_SPLITS))
def test_every_training_solution_is_tool_free_and_reaches_the_key(domain: str) -> None:
    problems = TRAINING_SPLITS[domain]()
    assert problems and all(p.solution.strip() for p in problems)
    mentioning = {p.id: mentions_tools(p.solution, p.tools) for p in problems}
    assert {i: m for i, m in mentioning.items() if m} == {}
    assert [p.id for p in problems if solution_scores(p, p.solution) < 1.0] == []


@pytest.mark.parametrize("generate", [math_generate, sci_generate], ids=["math", "scibench"])
def test_offline_copies_without_worked_solutions_leave_the_solution_empty(
    generate, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    for name in ("math", "scibench"):
        monkeypatch.setenv(f"TOOLWISE_{name.upper()}_DATA", str(needs.offline_data(name)))
    problems = generate.generate_problems(40, seed=11, split="train")
    # the offline copies carry answers only: training asks the teacher for a worked solution or drops it, counted
    assert [p.id for p in problems if p.solution] == []


def test_a_hub_worked_solution_is_the_target_and_ends_with_the_answer() -> None:
    worked = r"Since $2x + 3 = 11$, we have $2x = 8$ and $x = \boxed{4}$."
    problem = math_data.make_problem("algebra", "Solve $2x + 3 = 11$ for $x$.", 4.0, "Level 1", worked)
    assert problem.solution.startswith(worked) and problem.solution.endswith("the answer is 4")
    assert mentions_tools(problem.solution, problem.tools) is None
    assert solution_scores(problem, problem.solution) == 1.0


def test_a_scibench_row_whose_solution_is_only_the_answer_gets_no_target() -> None:
    row = {"problem_text": "Find the charge.", "answer_number": "7.78", "unit": "fC", "source": "fund",
           "problemid": "22.1", "solution": r"$7.78 \mathrm{fC} $"}  # fmt: skip
    assert not public_numeric.has_reasoning(row["solution"])
    problem = sci_data.make_problem(row)
    assert problem is not None and problem.solution == ""
    explained = dict(row, solution=r"The field is $E = kq/r^2$, so $q = Er^2/k = 7.78$ fC.")
    target = sci_data.make_problem(explained)
    assert target is not None and target.solution.endswith("So, in fC, the answer is 7.78")
    assert solution_scores(target, target.solution) == 1.0
