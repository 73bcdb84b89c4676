"""A domain is two folders: a package outside toolwise adds one and every part of toolwise runs it.

The package ``abacus`` below is written to a temporary directory: ``abacus/tools/`` (one ``@tool``) and
``abacus/tasks/`` (the ``Domain``, a generator, a four-line task YAML), registered by an entry point in
the group ``toolwise.domains`` (the ``.dist-info`` that ``pip install`` would write). No toolwise file is
edited; ``toolwise domains`` finds it, ``toolwise generate`` writes its test split, ``toolwise check`` runs
the quality gates, the tool-latency benchmark times its tool (and runs its probe), ``lm_eval`` with the
oracle scores 1 and ``toolwise train --stage collect`` collects.
docs/harness.md, "Adding a domain", is this test in words.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolwise.bench.cli import app
from toolwise.bench.evaluate import evaluate
from toolwise.bench.perf import tool_latency
from toolwise.bench.problem import read_jsonl
from toolwise.bench.task_index import domains, find_task, get_domain, task_folders

TOOLS = '''
"""The abacus tools: registering them is all the folder does."""

from typing import Annotated

from pydantic import Field

from toolwise.tools import tool


@tool
def abacus_multiply(a: Annotated[int, Field(ge=1, le=10_000)], b: Annotated[int, Field(ge=1, le=10_000)]) -> dict:
    """Multiply two whole numbers exactly.

    Args:
        a: the first factor, 1 to 10000.
        b: the second factor, 1 to 10000.
    """
    return {"product": a * b}
'''

GENERATE = '''
"""Abacus problems: products of two numbers, as multiple choice with the key letter balanced."""

from typing import Any

import numpy as np

from toolwise.bench.problem import LETTERS, Problem, ToolCall

STREAMS = {"test": 0, "train": 1}


def generate_problems(n: int, seed: int, split: str = "train") -> list[Problem]:
    rng = np.random.default_rng([seed, STREAMS[split]])
    problems = []
    for index in range(n):
        a, b = (int(x) for x in rng.integers(101, 999, size=2))
        rung, step = index % 4, int(rng.integers(3, 9)) * 100
        values = [a * b + step * (k - rung) for k in range(4)]
        problems.append(
            Problem(
                id=f"abacus-{split}-{index:04d}",
                domain="abacus",
                question=f"What is {a} times {b}?",
                answer_type="mcq",
                answer=LETTERS[rung],
                choices={letter: str(v) for letter, v in zip(LETTERS, values)},
                tools=["abacus_multiply"],
                reference_calls=[ToolCall("abacus_multiply", {"a": a, "b": b})],
                solution=f"{a} x {b} = {a * b}, so the answer is {LETTERS[rung]}.",
            )
        )
    return problems


def key_from_tool_results(problem: Problem, results: list[Any]) -> str:
    product = results[0]["product"]
    return min(problem.choices, key=lambda letter: abs(float(problem.choices[letter]) - product))
'''

DOMAIN = """
import timeit
from pathlib import Path

from abacus.tasks.generate import generate_problems, key_from_tool_results
from toolwise.bench.domain import Domain


def probe(repeats: int) -> dict[str, list[float]]:
    \"\"\"What the per-call table does not show: a product of two 2000-digit numbers (ms per product).\"\"\"
    a, b = 7**2366, 3**4191
    return {"2000-digit product": [100 * t for t in timeit.repeat(lambda: a * b, number=10, repeat=repeats)]}


DOMAIN = Domain(
    name="abacus",
    tool_modules=("abacus.tools",),
    generate_problems=generate_problems,
    key_from_tool_results=key_from_tool_results,
    task_folder=Path(__file__).parent,
    performance_probe=probe,
)
"""

TASK_YAML = """\
task: abacus_tool
class: !function toolwise.bench.lmeval_task.ToolTask
dataset_kwargs: {package: abacus.tasks, file: data/test.jsonl}
metadata: {version: 1.0, domain: abacus}
"""

ENTRY_POINTS = "[toolwise.domains]\nabacus = abacus.tasks.domain:DOMAIN\n"

runner = CliRunner()


def write_package(root: Path) -> Path:
    """The two folders of the abacus domain and the metadata an install writes; returns the tasks folder."""
    files = {
        "abacus/__init__.py": "",
        "abacus/tools/__init__.py": TOOLS,
        "abacus/tasks/__init__.py": "",
        "abacus/tasks/generate.py": GENERATE,
        "abacus/tasks/domain.py": DOMAIN,
        "abacus/tasks/abacus_tool.yaml": TASK_YAML,
        "abacus-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: abacus\nVersion: 0.1\n",
        "abacus-0.1.dist-info/entry_points.txt": ENTRY_POINTS,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.lstrip("\n"), encoding="utf-8")
    return root / "abacus" / "tasks"


@pytest.fixture
def abacus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The abacus package on ``sys.path``, as if pip-installed; yields its tasks folder."""
    tasks = write_package(tmp_path / "site")
    forget_abacus(monkeypatch)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return tasks


def forget_abacus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test imports its own copy of the package (an earlier test's modules stay in sys.modules)."""
    for name in [m for m in sys.modules if m == "abacus" or m.startswith("abacus.")]:
        monkeypatch.delitem(sys.modules, name)


def test_an_installed_package_adds_a_domain_that_every_command_runs(
    abacus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = runner.invoke(app, ["domains"])
    assert listed.exit_code == 0 and "abacus" in listed.output, listed.output
    assert get_domain("abacus").tool_modules == ("abacus.tools",)
    assert abacus.resolve() in task_folders()

    test_file = abacus / "data" / "test.jsonl"
    made = runner.invoke(app, ["generate", "abacus", "--split", "test", "--n", "24", "--out", str(test_file)])
    assert made.exit_code == 0, made.output
    assert [p.id for p in read_jsonl(test_file)] == [f"abacus-test-{i:04d}" for i in range(24)]

    checked = runner.invoke(app, ["check", "abacus"])
    assert checked.exit_code == 0 and "abacus_tool: 24 problems, passes" in checked.output, checked.output
    tool_latency.main(["--domain", "abacus", "--repeats", "1"])
    latency = capsys.readouterr().out
    assert "## abacus" in latency and "| abacus_multiply | 24 |" in latency and "| 2000-digit product | 1 |" in latency
    task = find_task("abacus_tool")
    assert task.domain == "abacus" and task.tool_modules == ["abacus.tools"] and task.test_file == test_file

    row = evaluate(["abacus_tool"], "backend=oracle", log_samples=False)["results"]["abacus_tool"]
    metrics = {k.split(",")[0]: v for k, v in row.items() if k.endswith(",none")}
    assert metrics["acc_choice"] == 1.0 and metrics["tool_use_acc"] == 1.0 and 0 < metrics["tool_rate"] < 1

    out = tmp_path / "run"
    args = ["train", "--task", "abacus_tool", "--stage", "collect", "--teacher", "oracle", "--n-train", "6"]
    trained = runner.invoke(app, [*args, "--out", str(out), "--quiet"])
    assert trained.exit_code == 0, trained.output
    summary = json.loads((out / "state.json").read_text())["stages"]["collect"]["summary"]
    assert summary["kept"] == 6


def test_a_broken_split_of_a_plugin_domain_fails_the_gates(abacus: Path, tmp_path: Path) -> None:
    problems = get_domain("abacus").generate(8, seed=3, split="test")
    problems[2].answer = "D" if problems[2].answer != "D" else "A"  # a key its reference call does not give
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in problems))
    checked = runner.invoke(app, ["check", "abacus", "--file", str(bad)])
    assert checked.exit_code == 1
    assert "abacus-test-0002: the replayed reference calls give" in checked.output


def test_lm_eval_itself_finds_the_plugin_domain(abacus: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["generate", "abacus", "--split", "test", "--n", "8", "--out", str(abacus / "data/test.jsonl")])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(abacus.parents[1]), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "lm_eval", "--model", "toolwise", "--model_args", "backend=oracle,progress=false"]
    command += ["--tasks", "abacus_tool", "--output_path", str(tmp_path / "out")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    row = next(line for line in done.stdout.splitlines() if "acc_choice " in line and "abacus_tool" in line)
    assert "1.0000" in row or "|1|" in row.replace(" ", ""), row


def test_the_harness_docs_describe_this_test() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "harness.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Adding a domain") : doc.index("## Scripted policies")]
    assert all(line.strip() in section for line in TASK_YAML.splitlines())
    assert '[project.entry-points."toolwise.domains"]' in section and 'abacus = "abacus.tasks.domain:DOMAIN"' in section
    for command in ("toolwise domains", "toolwise generate abacus", "toolwise check abacus", "--stage collect"):
        assert command in section, command


def test_a_broken_plugin_is_skipped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    write_package(tmp_path / "site")
    (tmp_path / "site" / "abacus/tasks/domain.py").write_text("raise ImportError('abacus needs a newer numpy')\n")
    forget_abacus(monkeypatch)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert "abacus" not in domains() and "pde" in domains()
    assert "skipping the domain of entry point abacus = abacus.tasks.domain:DOMAIN" in caplog.text
    assert "ImportError: abacus needs a newer numpy" in caplog.text
