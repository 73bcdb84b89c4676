"""Whole runs through lm-eval: failures are counted and loud, calibration sees a broken tool, user errors are
one line (issue 14, items 2, 3 and 9)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import needs
import pytest

from toolwise.bench.backends import BACKENDS, make_backend
from toolwise.bench.errors import UsageError
from toolwise.bench.evaluate import evaluate
from toolwise.bench.lmeval_model import ToolAgentLM

REPO = Path(__file__).resolve().parents[1]


def metrics(results: dict, task: str) -> dict[str, float]:
    return {k.split(",")[0]: v for k, v in results["results"][task].items() if k.endswith(",none")}


@pytest.fixture
def fake_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BACKENDS, "flaky", "reliability_fakes:FlakyOracle")
    monkeypatch.setitem(BACKENDS, "dead", "reliability_fakes:DeadBackend")


def test_failed_problems_are_counted_warned_about_and_all_in_the_samples(  # type: ignore[no-untyped-def]
    toy_manager, fake_backends, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        results = evaluate(["toy_tool"], "backend=flaky", manager=toy_manager)
    m = metrics(results, "toy_tool")
    assert m["n_failed"] == 3  # two error turns and the problem that crashed its batch
    samples = results["samples"]["toy_tool"]
    assert len(samples) == 12  # every problem of the run is in the samples
    failed = {s["doc"]["id"] for s in samples if any(json.loads(r[0])["error"] for r in s["resps"])}
    assert failed == {"toy-mcq-001", "toy-mcq-005", "toy-mcq-007"}
    assert m["acc_no_tool"] == pytest.approx(sum(s["acc_no_tool"] for s in samples) / 12)
    warnings = [r.getMessage() for r in caplog.records if "problems of toy_tool failed" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].startswith("toolwise: 3 of 12 problems of toy_tool failed")


def test_a_run_where_every_request_failed_stops_with_an_error(toy_manager, fake_backends) -> None:  # type: ignore[no-untyped-def]
    from toolwise.bench.backends import FatalBackendError

    with pytest.raises(FatalBackendError, match=r"every one of the 8 requests failed.*Connection refused"):
        evaluate(["toy_tool"], "backend=dead", manager=toy_manager, limit=4)


def test_oracle_without_a_sandbox_loses_the_tool_problems_and_says_why(  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from toolwise.tools.python_sandbox import _runner, _tool

    needs.offline_data("math")  # math_tool reads the offline MATH copy beside the repository (no hub here)
    monkeypatch.setenv("TOOLWISE_BWRAP", "/nonexistent/bwrap")
    _runner.reset_probe()
    _tool.run_python.tool_spec.clear_cache()  # type: ignore[attr-defined]
    try:
        with caplog.at_level(logging.WARNING):
            results = evaluate(["math_tool"], "backend=oracle", limit=8)
    finally:
        _runner.reset_probe()
        _tool.run_python.tool_spec.clear_cache()  # type: ignore[attr-defined]
    m = metrics(results, "math_tool")
    samples = results["samples"]["math_tool"]
    hard = sum(1 for s in samples if not s["tool_use_acc"][0])  # the problems the oracle calls a tool on
    assert hard > 0
    assert m["tool_errors"] == hard and m["tool_error_rate"] == 1.0
    assert m["acc_choice"] == pytest.approx(1 - hard / 8)  # the tool's failures cost the oracle those problems
    assert m["tool_use_acc"] == 1.0  # it still called exactly on the hard ones
    assert any("tool run_python is unavailable in math_tool" in r.getMessage() for r in caplog.records)


# ---- item 9: arguments are checked up front and errors are one line --------------------------------------------
@pytest.mark.parametrize("backend", ["oracle", "always", "never"])
def test_scripted_backends_reject_misspelt_arguments(backend: str) -> None:
    with pytest.raises(ValueError, match=r"unknown model_args \['max_turn'\].*max_turns"):
        make_backend(backend, max_turn=3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"max_turns": 0}, "max_turns must be at least 1, got 0"),
        ({"max_tool_calls": -1}, "max_tool_calls must be at least 1"),
        ({"max_turns": "many"}, "max_turns must be a whole number of at least 1, got 'many'"),
        ({"progress": "maybe"}, "progress must be true or false"),
        ({"tool_workers": 0}, "tool_workers must be at least 1"),
        ({"backend": "oracel"}, "unknown backend 'oracel'; choose one of: always, anthropic"),
    ],
)
def test_invalid_loop_settings_are_refused_before_anything_runs(args: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ToolAgentLM(**args)


def test_progress_false_means_false() -> None:
    assert ToolAgentLM(progress="false").progress is False


def test_system_instruction_without_a_chat_template_reaches_the_prompt(toy_manager) -> None:  # type: ignore[no-untyped-def]
    results = evaluate(["toy_tool"], "backend=oracle", manager=toy_manager, limit=1, system_instruction="Be brief.")
    no_tool = json.loads(results["samples"]["toy_tool"][0]["resps"][0][0])
    assert no_tool["messages"][0]["role"] == "system" and no_tool["messages"][0]["content"].startswith("Be brief.")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _lm_eval(model_args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_"))}
    env["TOOLWISE_CACHE_DIR"] = str(tmp_path / "cache")
    start = "from toolwise.bench.lmeval_hooks import lm_eval_main; lm_eval_main()"  # what toolwise-eval runs
    command = [sys.executable, "-c", start, "--model", "toolwise", "--model_args", model_args]
    command += ["--tasks", "pde_tool", "--limit", "2", "--output_path", str(tmp_path / "out")]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)


def test_an_unreachable_server_ends_the_run_with_one_line_naming_it(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    done = _lm_eval(f"backend=openai,model=m,base_url={url},unreachable_after_s=3,retry_base_delay=0.2", tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("toolwise: error:")]
    assert f"could not reach {url}" in line and "base_url" in line


def test_a_misspelt_argument_is_one_line_with_the_known_ones(tmp_path: Path) -> None:
    done = _lm_eval("backend=oracle,max_turn=3", tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("toolwise: error:")]
    assert "unknown model_args ['max_turn']" in line and "max_turns" in line


def test_the_hf_backend_names_a_missing_folder_and_its_known_arguments() -> None:
    with pytest.raises(UsageError, match=r"pretrained=/no/such/folder: no such folder"):
        ToolAgentLM(backend="hf", pretrained="/no/such/folder")
    with pytest.raises(ValueError, match=r"hf backend: unknown model_args \['dtpye'\]; known: .*dtype"):
        make_backend("hf", pretrained="/no/such/folder", dtpye="bfloat16")
