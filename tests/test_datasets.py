"""Every committed test split, whatever its domain: it passes the quality gates and calibrates with the scripted policies.

Tasks and domains come from the index (bench/task_index.py), so a new domain is checked with no edit here;
the reference-replay check is in tests/test_domains.py.
"""

from __future__ import annotations

import pytest

from toolwise.bench.dataset_checks import quality_failures
from toolwise.bench.evaluate import evaluate, task_manager
from toolwise.bench.task_index import TaskInfo, get_domain, tasks

PACKAGED = [t for t in tasks() if t.test_file is not None]  # math and scibench load theirs from the hub (tests/math)


def test_every_task_yaml_is_indexed_by_lm_eval() -> None:
    # lm-eval skips a broken YAML silently; the symptom would be "task not found" for users.
    names = {t.name for t in tasks()}
    indexed = set(task_manager().all_tasks)
    assert names <= indexed, f"not indexed: {sorted(names - indexed)}"
    assert "scitool" in indexed


@pytest.mark.parametrize("task", PACKAGED, ids=[t.name for t in PACKAGED])
def test_split_passes_the_quality_gates(task: TaskInfo) -> None:
    # Well formed (tools, reference calls that validate, solutions that narrate no tool run), format-only
    # guessers and key letters at chance on the MCQs; the replay of every key runs in tests/test_domains.py.
    assert quality_failures(get_domain(task.domain), task.test_problems(), replay=False) == []


@pytest.mark.parametrize("task", PACKAGED, ids=[t.name for t in PACKAGED])
def test_scripted_policies_calibrate_the_task(task: TaskInfo) -> None:
    def run(backend: str) -> dict[str, float]:
        row = evaluate([task.name], f"backend={backend}", log_samples=False)["results"][task.name]
        return {k.split(",")[0]: v for k, v in row.items() if k.endswith(",none")}

    oracle, always, never = run("oracle"), run("always"), run("never")
    assert oracle["acc_choice"] == 1.0 and oracle["tool_use_acc"] == 1.0
    assert always["tool_rate"] == 1.0 and always["tool_use_acc"] == 0.5
    assert never["tool_rate"] == 0.0 and never["tool_use_acc"] == 0.5
