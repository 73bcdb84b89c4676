"""Whole lm-eval runs on API backends against the fake server: faults, a killed run resumed, the CLI.

The toy task (12 multiplications, numeric answers, asked without and with tools) runs through
lm-eval, the toolwise model, the conversation loop, the real OpenAI / Anthropic SDKs and a socket.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from backend_fakes import MODELS, multiplication_model

from toolwise.bench.backends._fake_api import FakeChatServer, Faults
from toolwise.bench.evaluate import evaluate

TASK = "toy_numeric_tool"
TESTS_DIR = Path(__file__).resolve().parents[1]
TIMING_FIELDS = {"seconds", "tool_seconds", "cached"}


def model_args(wire: str, server: FakeChatServer, **extra: Any) -> dict[str, Any]:
    url = server.openai_url if wire == "openai" else server.anthropic_url
    return {
        "backend": wire,
        "model": MODELS[wire],
        "base_url": url,
        "api_key": "test-key-0123456789",
        "cache": False,
        "retry_base_delay": 0.01,
        "retry_max_delay": 0.05,
        # Long enough that a healthy reply never times out on a loaded machine (a retried healthy reply is
        # answered twice and breaks the request counts); the fault test sets its own, below its slow replies.
        "timeout": 10.0,
        "max_retries": 12,
        "max_concurrency": 8,
    } | extra


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in TIMING_FIELDS}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def outcome(results: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """The scores and every transcript (less wall-clock timings), in document order."""
    scores = {k: v for k, v in results["results"][TASK].items() if k.endswith(",none")}
    samples = sorted(results["samples"][TASK], key=lambda s: s["doc_id"])
    transcripts = [[_without_timings(json.loads(r[0])) for r in s["resps"]] for s in samples]
    return scores, transcripts


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
def test_twenty_percent_transient_faults_change_no_score_and_lose_no_problem(wire: str, toy_manager) -> None:  # type: ignore[no-untyped-def]
    with FakeChatServer(multiplication_model) as server:
        clean = outcome(evaluate([TASK], model_args(wire, server), manager=toy_manager))
        clean_requests = sum(server.attempts.values())
    faults = Faults(rate=0.2, retry_after_s=0.05, slow_s=2.5, seed=11)
    with FakeChatServer(multiplication_model, faults=faults) as server:
        faulty = outcome(evaluate([TASK], model_args(wire, server, timeout=2.0), manager=toy_manager))
        injected = {kind: server.outcomes[kind] for kind in ("429", "500", "drop", "slow")}
        answered = server.outcomes["200"]
    shown = ("acc_no_tool,none", "acc_choice,none", "tool_use_acc,none", "tokens_in,none", "cost_usd,none")
    print(
        f"\n{wire}: faults injected {injected}; clean {[clean[0][k] for k in shown]}, faulty {[faulty[0][k] for k in shown]}"
    )
    assert faulty == clean
    scores, transcripts = clean
    assert scores["acc_no_tool,none"] == 0.5 and scores["acc_choice,none"] == 1.0
    assert scores["tool_use_acc,none"] == 1.0 and scores["cost_usd,none"] > 0
    assert all(t["error"] is None for pair in transcripts for t in pair)
    assert answered == clean_requests == 12 * 2 + 6  # both modes, plus a second turn for the 6 tool calls
    assert sum(injected.values()) >= 4 and sum(1 for n in injected.values() if n) >= 3


RUNNER = """
import json, sys
sys.path.insert(0, sys.argv[1])
import toy_domain  # registers toy_multiply
from lm_eval.tasks import TaskManager
from toolwise.bench.evaluate import evaluate
from toolwise.bench.lmeval_hooks import tasks_dir

args = json.loads(sys.argv[3])
manager = TaskManager(include_path=[tasks_dir(), sys.argv[2]], include_defaults=False)
results = evaluate(["toy_numeric_tool"], args, manager=manager)
with open(sys.argv[4], "w") as fh:
    json.dump({"results": results["results"], "samples": results["samples"]}, fh, default=str)
"""


def run_in_subprocess(args: dict[str, Any], toy_dir: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", RUNNER, str(TESTS_DIR), str(toy_dir), json.dumps(args), str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_a_killed_run_resumes_without_repeating_finished_requests(
    toy_task_dir: Path, toy_manager, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    total = 12 * 2 + 6
    with FakeChatServer(multiplication_model, latency_s=0.1) as server:
        args = model_args("openai", server, cache=True, cache_dir=str(tmp_path / "cache"), max_concurrency=2)
        first = run_in_subprocess(args, toy_task_dir, tmp_path / "first.json")
        deadline = time.monotonic() + 120
        while sum(server.answered.values()) < total // 2 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)  # mid-latency: the last answers have landed, the next two are on the server
        os.kill(first.pid, signal.SIGKILL)  # no handler, no clean-up: the hardest way to die
        first.wait()
        assert first.returncode == -signal.SIGKILL
        answered_before_kill = set(server.answered)
        server.reset_counts()

        second = run_in_subprocess(args, toy_task_dir, tmp_path / "second.json")
        _, stderr = second.communicate(timeout=180)
        assert second.returncode == 0, stderr[-3000:]
        resent = answered_before_kill & set(server.attempts)
        sent_after_restart = sum(server.attempts.values())

    with FakeChatServer(multiplication_model) as server:
        reference = outcome(evaluate([TASK], model_args("openai", server), manager=toy_manager))
    resumed = outcome(json.loads((tmp_path / "second.json").read_text()))
    print(
        f"\nkilled after {len(answered_before_kill)} of {total} requests were answered; after the restart "
        f"{sent_after_restart} were sent, {len(resent)} of them answered before the kill"
    )
    assert resumed == reference
    assert total // 2 <= len(answered_before_kill) < total
    # Only a request answered in the instant between the server's reply and the cache write can be
    # asked again: at most the requests in flight (max_concurrency) when the signal landed.
    assert len(resent) <= 2
    assert sent_after_restart == total - len(answered_before_kill) + len(resent)


@pytest.mark.slow
@pytest.mark.parametrize("wire", ["openai", "anthropic"])
def test_the_literal_lm_eval_command_runs_against_the_fake_server(wire: str, tmp_path: Path) -> None:
    from toy_domain import write_toy_task

    write_toy_task(tmp_path, name="toy_cli_tool", n=4, answer_type="numeric")
    yaml = tmp_path / "toy_cli_tool.yaml"
    yaml.write_text(yaml.read_text().replace("tool_modules: []", "tool_modules: [toy_domain]"))
    with FakeChatServer(multiplication_model) as server:
        args = model_args(wire, server, cache_dir=str(tmp_path / "cache"))
        args.pop("cache")
        arg_string = ",".join(f"{k}={v}" for k, v in args.items())
        env = os.environ | {"PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")])}
        lm_eval = Path(sys.executable).with_name("lm_eval")
        command = [str(lm_eval), "--model", "toolwise", "--model_args", arg_string, "--tasks", "toy_cli_tool"]
        command += ["--include_path", str(tmp_path), "--output_path", str(tmp_path / "out"), "--log_samples"]
        # A hang guard, not a speed check: lm_eval indexes its own thousands of task YAMLs first, minutes on a loaded
        # machine (300 s was exceeded with a training run beside the suite).
        run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
        assert run.returncode == 0, run.stderr[-3000:]
        assert sum(server.answered.values()) == 4 * 2 + 2
    table = run.stdout
    assert "toy_cli_tool" in table and "tool_use_acc" in table
    results_file = next((tmp_path / "out").rglob("results_*.json"))
    scores = json.loads(results_file.read_text())["results"]["toy_cli_tool"]
    assert scores["acc_choice,none"] == 1.0 and scores["acc_no_tool,none"] == 0.5 and scores["cost_usd,none"] > 0
