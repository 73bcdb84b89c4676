"""What a user sees after a run: lm_eval ends with the toolwise summary, and `toolwise show` explains a problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolwise.bench.lmeval_hooks import only_toolwise_tasks, requested_tasks, tasks_dir
from toolwise.bench.summary import QUADRANTS, iter_samples, problem_id, quadrant, render_summary, summarize

BIN = Path(sys.executable).parent
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "COLUMNS": "120"}


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def oracle_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The oracle on 6 PDE problems (4 easy, 2 hard for it), transcripts logged."""
    cwd = tmp_path_factory.mktemp("run")
    args = ["--model", "toolwise", "--model_args", "backend=oracle", "--tasks", "pde_tool", "--limit", "6"]
    proc = run([str(BIN / "lm_eval"), *args, "--output_path", "results", "--log_samples"], cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return cwd, proc.stdout


def test_lm_eval_ends_with_the_summary_of_the_results_file(oracle_run: tuple[Path, str]) -> None:
    cwd, stdout = oracle_run
    [results_file] = (cwd / "results").rglob("results_*.json")
    row = json.loads(results_file.read_text())["results"]["pde_tool"]
    summary = stdout[stdout.index("toolwise summary") :]
    [line] = [line for line in summary.splitlines() if line.startswith("pde_tool  ")]
    cells = line.split()
    assert cells[:2] == ["pde_tool", "6"]
    acc_no_tool = (
        f"{row['acc_no_tool,none']:.2f} [{row['acc_no_tool_ci_lo,none']:.2f}, {row['acc_no_tool_ci_hi,none']:.2f}]"
    )
    assert acc_no_tool in line
    assert cells[-4:] == [str(int(row[f"n_{q},none"])) for q in QUADRANTS]
    assert f"{row['tool_rate,none']:.2f}" in cells


def test_the_summary_points_to_the_transcripts_and_one_problem_per_quadrant(oracle_run: tuple[Path, str]) -> None:
    cwd, stdout = oracle_run
    summary = stdout[stdout.index("toolwise summary") :]
    [samples] = (cwd / "results").rglob("samples_pde_tool_*.jsonl")
    assert f"pde_tool transcripts: {samples.relative_to(cwd)}" in summary
    quadrant_of = {problem_id(r): quadrant(r) for r in iter_samples(samples)}
    pointers = [line.split() for line in summary.splitlines() if "toolwise show results" in line]
    assert {words[0] for words in pointers} == set(quadrant_of.values())  # the oracle's run has EN and HT
    for words in pointers:
        assert quadrant_of[words[-1]] == words[0]


def test_toolwise_show_prints_both_transcripts_and_how_each_was_scored(oracle_run: tuple[Path, str]) -> None:
    cwd, _ = oracle_run
    [samples] = (cwd / "results").rglob("samples_pde_tool_*.jsonl")
    record = next(r for r in iter_samples(samples) if quadrant(r) == "HT")
    choice = json.loads(record["resps"][1][0])
    call = choice["tool_calls"][0]
    proc = run([str(BIN / "toolwise"), "show", "results", problem_id(record)], cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = " ".join(proc.stdout.replace("│", " ").split())  # rich wraps lines inside panels
    assert record["doc"]["question"].split("\n")[0][:40] in text
    assert "no tools offered" in text and "tools offered, the model's choice" in text
    assert f"tool call {call['name']}(" in text and str(next(iter(call["arguments"].values()))) in text
    assert "result: {" in text
    assert f"key: {record['doc']['answer']}" in text
    assert "scored: wrong (0)" in text and "scored: right (1)" in text  # hard: wrong alone, right with the tool
    assert "HT (hard, called a tool): a right decision" in text


def test_toolwise_show_names_what_is_missing(oracle_run: tuple[Path, str]) -> None:
    cwd, _ = oracle_run
    proc = run([str(BIN / "toolwise"), "show", "results", "no-such-problem"], cwd)
    assert proc.returncode == 1 and "no-such-problem" in proc.stdout
    proc = run([str(BIN / "toolwise"), "show", "elsewhere"], cwd)
    assert proc.returncode == 1 and "no such file or folder" in proc.stdout


def test_a_run_without_log_samples_says_how_to_keep_transcripts() -> None:
    results = {
        "results": {
            "pde_tool": {
                "acc_no_tool,none": 0.5,
                "acc_choice,none": 1.0,
                "n_failed,none": 2.0,
                "tool_errors,none": 3.0,
            },
            "hellaswag": {"acc,none": 0.3},
        },
        "n-samples": {"pde_tool": {"original": 160, "effective": 4}},
    }
    [summary] = summarize(results)
    assert summary.task == "pde_tool" and summary.problems == 4  # the non-toolwise task is lm-eval's alone
    text = render_summary([summary])
    assert "pde_tool: 2 problems failed (backend or reply errors); 3 tool calls returned an error" in text
    assert "transcripts not saved: add --output_path DIR --log_samples" in text


def test_only_toolwise_tasks_skip_the_index_of_lm_evals_built_in_tasks() -> None:
    folder = [tasks_dir()]
    assert requested_tasks(["lm_eval", "--model", "toolwise", "--tasks", "pde_tool,scitool"]) == ["pde_tool", "scitool"]
    assert requested_tasks(["lm_eval", "--tasks=mujoco_tool"]) == ["mujoco_tool"]
    assert only_toolwise_tasks(["pde_tool", "scitool"], folder)
    assert not only_toolwise_tasks(["pde_tool", "hellaswag"], folder)  # a built-in asked for: full index
    assert not only_toolwise_tasks(["pde_*"], folder)  # a glob may match built-ins too
    assert not only_toolwise_tasks([], folder)  # `lm_eval ls tasks` and friends list everything


def test_the_lm_eval_process_indexes_only_the_toolwise_folder_for_toolwise_tasks(tmp_path: Path) -> None:
    code = (
        "import sys; sys.argv = ['lm_eval', '--tasks', 'pde_tool']\n"
        "from toolwise.bench.lmeval_hooks import install; install(force=True)\n"
        "import json; from lm_eval.tasks import TaskManager; print(json.dumps(TaskManager().all_tasks))"
    )
    proc = run([sys.executable, "-c", code], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    listed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "pde_tool" in listed and "scitool" in listed and "hellaswag" not in listed


def test_with_several_tasks_each_pointer_names_its_task(tmp_path: Path) -> None:
    files = {}
    for task, pair in (("pde_tool", [False, False]), ("mujoco_tool", [True, False])):
        files[task] = tmp_path / f"samples_{task}_2026-01-01T00-00-00.jsonl"
        files[task].write_text(json.dumps({"doc_id": 0, "doc": {"id": "p-0"}, "tool_use_acc": pair}) + "\n")
    results = {"results": {task: {"acc_no_tool,none": 0.0} for task in files}}
    text = render_summary(summarize(results, files), "results/")
    assert "HN (hard, answered alone): toolwise show results/ p-0 --task pde_tool" in text
    assert "EN (easy, answered alone): toolwise show results/ p-0 --task mujoco_tool" in text
