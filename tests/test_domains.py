"""Every discovered domain, written once: its contract holds and replaying the reference calls reproduces the key.

The domains and their tasks come from the index (bench/task_index.py), so a new domain, toolwise's own
or a package's, is checked with no edit here. The fast test replays a sample of every template; the slow
one replays every problem of every test split.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import needs
import pytest

from toolwise.bench.dataset_checks import quality_failures, replay_mismatches
from toolwise.bench.domain import Domain
from toolwise.bench.problem import Problem
from toolwise.bench.task_index import TaskInfo, builtin_domain_names, domains, get_domain, tasks

# Domains whose test split is loaded from a public dataset read it offline from ../shared/data/<domain>
# (TOOLWISE_<DOMAIN>_DATA), as tests/math does; CI provides the folder.
TASKS = tasks()


def test_every_builtin_domain_exports_its_contract() -> None:
    found = domains()
    assert set(builtin_domain_names()) <= set(found)
    assert {"climate", "epidemiology", "math", "mujoco", "pde", "scibench"} <= set(found)
    for name, domain in found.items():
        assert isinstance(domain, Domain) and domain.name == name
        assert domain.task_folder.is_dir() and any(t.domain == name for t in TASKS), name
        assert {"test", "train"} <= set(domain.splits)


def test_every_task_names_a_known_domain_whose_tool_modules_it_offers() -> None:
    for task in TASKS:
        assert task.tool_modules == list(get_domain(task.domain).tool_modules), task.name


def test_open_answers_are_scored_by_the_domain_not_the_data_row() -> None:
    with_open = {t.domain for t in TASKS if "open" in t.name}
    assert with_open == {"climate", "epidemiology"}
    for name in with_open:
        assert get_domain(name).open_scorer is not None and "open" in get_domain(name).kinds


def test_a_domain_is_read_from_its_generator_module() -> None:
    import toolwise.bench.problem as not_a_generator
    from toolwise.tasks.pde import generate

    pde = Domain.from_module(generate, tool_modules=("toolwise.tools.pde",))
    assert pde.name == "pde" and pde.task_folder == Path(generate.__file__).parent
    assert pde.key_from_tool_results is generate.key_from_tool_results
    with pytest.raises(TypeError, match="defines no generate_problems or key_from_tool_results"):
        Domain.from_module(not_a_generator, tool_modules=())
    with pytest.raises(ValueError, match="splits must include test and train"):
        Domain.from_module(generate, tool_modules=(), splits=("test",))


def test_an_unknown_domain_is_named_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"no domain named 'nope' \(known: climate.*toolwise.domains"):
        get_domain("nope")


def test_a_domain_refuses_a_split_or_kind_it_does_not_have() -> None:
    pde = get_domain("pde")
    with pytest.raises(ValueError, match="no split 'dev'"):
        pde.generate(1, 0, split="dev")
    with pytest.raises(ValueError, match="no problem kind 'open'"):
        pde.generate(1, 0, kind="open")


def evaluated_split(task: TaskInfo, monkeypatch: pytest.MonkeyPatch) -> list[Problem]:
    """The task's test split as lm-eval evaluates it (a public dataset from its offline copy)."""
    domain = get_domain(task.domain)
    if task.test_file is None:
        monkeypatch.setenv(f"TOOLWISE_{task.domain.upper()}_DATA", str(needs.offline_data(task.domain)))
    if "toolwise.tools.python_sandbox" in domain.tool_modules:
        needs.sandbox()
    return task.load_test_split()


def sample_of_every_template(problems: list[Problem], per_template: int = 2) -> list[Problem]:
    by_template: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        if len(by_template[problem.template]) < per_template:
            by_template[problem.template].append(problem)
    return [p for group in by_template.values() for p in group]


@pytest.mark.parametrize("task", TASKS, ids=[t.name for t in TASKS])
def test_replaying_the_reference_calls_reproduces_the_key_on_every_template(
    task: TaskInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    problems = sample_of_every_template(evaluated_split(task, monkeypatch))
    assert problems
    assert replay_mismatches(get_domain(task.domain), problems) == []


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS, ids=[t.name for t in TASKS])
def test_replaying_the_reference_calls_reproduces_every_key(task: TaskInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    problems = evaluated_split(task, monkeypatch)
    assert replay_mismatches(get_domain(task.domain), problems) == []


def test_the_quality_gates_name_every_rule_a_split_breaks(tmp_path: Path) -> None:
    import toy_domain

    def key(problem: Problem, results: list) -> str:
        return "A"  # what a broken key reader gives

    toy = Domain("toy", (), lambda n, seed, split="train": [], key, tmp_path)
    problems = toy_domain.toy_problems(12)
    for p in problems:
        p.answer = "A"  # every key on one letter
    problems[1].solution = "Calling toy_multiply gives the product."
    problems[2].reference_calls[0].arguments["a"] = 5000  # outside the tool's range
    problems[3].id = problems[4].id
    failures = quality_failures(toy, problems)
    assert any(f.startswith("problem ids repeat") for f in failures)
    assert f"{problems[1].id}: the worked solution narrates a tool run" in failures
    assert any(f.startswith(f"{problems[2].id}: reference call toy_multiply: invalid arguments") for f in failures)
    assert "guesser commonest_letter scores 1.00" in failures
    assert "key letters unbalanced: {'A': 12}" in failures
    assert quality_failures(toy, toy_domain.toy_problems(12)) == [
        f"toy-mcq-{i:03d}: the replayed reference calls give 'A', the key is {'ABCD'[i % 4]!r}"
        for i in range(12)
        if i % 4
    ]
