"""Real engines through lm-eval: a model-made tool call goes through the loop on hf, vLLM in-process and
vLLM's OpenAI-compatible server, and the three agree on every call, tool result, answer and token count.

The model (tool_model.py) has a chat template that ignores ``tools=``: hf and in-process vLLM render the
text fallback themselves; the server renders the template as it is, so the openai backend has to detect
that (``tool_format=auto``) and send the same fallback. Run by ``bench/perf/vllm_cpu.sh``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from toolwise.bench.backends.vllm_engine import _memory_fraction
from toolwise.bench.evaluate import evaluate

LIMIT = 2  # problems (3 x 7 needs the tool, 4 x 9 does not), both modes each
REPORTED = ("acc_no_tool", "acc_choice", "tool_use_acc", "tokens_in", "tokens_out")
SERVER_START_S = 1200  # vllm-cpu compiles the model at start-up: minutes on 2 busy cores


def run_toy(
    model_args: dict[str, Any], manager: Any, report: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
    start = time.perf_counter()
    results = evaluate(["toy_numeric_tool"], {"progress": False, **model_args}, limit=LIMIT, manager=manager)
    transcripts = {}
    for sample in results["samples"]["toy_numeric_tool"]:
        for resps in sample["resps"]:
            transcript = json.loads(resps[0])
            transcripts[(transcript["problem_id"], transcript["mode"])] = transcript
    scores = results["results"]["toy_numeric_tool"]
    if report is not None:
        report[model_args["backend"]] = {
            "wall_s": round(time.perf_counter() - start, 1),
            "scores": {k.split(",")[0]: v for k, v in scores.items() if k.split(",")[0] in REPORTED},
            "transcripts": {"|".join(key): what_matters(t) for key, t in transcripts.items()},
        }
    return scores, transcripts


def what_matters(transcript: dict[str, Any]) -> dict[str, Any]:
    calls = [{k: call.get(k) for k in ("name", "arguments", "result", "error")} for call in transcript["tool_calls"]]
    keys = ("answer", "final_text", "tokens_in", "tokens_out", "turns", "stop_reason")
    return {"calls": calls, **{k: transcript[k] for k in keys}}


@pytest.fixture(scope="module")
def hf_run(tool_caller: Path, toy_manager, engine_report) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:  # type: ignore[no-untyped-def]
    return run_toy({"backend": "hf", "pretrained": str(tool_caller), "batch_size": 1}, toy_manager, engine_report)


def test_on_hf_the_model_calls_the_tool_and_answers_from_its_result(hf_run) -> None:  # type: ignore[no-untyped-def]
    scores, transcripts = hf_run
    choice = [t for (_, mode), t in transcripts.items() if mode == "choice" and t["tool_calls"]]
    assert len(choice) == 1  # 3 x 7: odd a
    for transcript in choice:
        (call,) = transcript["tool_calls"]
        a, b = call["arguments"]["a"], call["arguments"]["b"]
        assert call["name"] == "toy_multiply" and call["error"] is None
        assert json.loads(call["result"])["product"] == a * b and transcript["answer"] == a * b
    assert scores["acc_choice,none"] == 1.0 and scores["acc_no_tool,none"] == 0.5
    assert scores["tool_use_acc,none"] == 1.0


def test_in_process_vllm_makes_the_same_calls_and_answers_as_hf(
    tool_caller: Path, toy_manager, hf_run, engine_report
) -> None:  # type: ignore[no-untyped-def]
    args = {
        "backend": "vllm",
        "pretrained": str(tool_caller),
        "cache": False,
        "dtype": "float32",
        "max_model_len": 2048,
    }
    scores, transcripts = run_toy(args, toy_manager, engine_report)
    hf_scores, hf_transcripts = hf_run
    assert transcripts.keys() == hf_transcripts.keys()
    for key, transcript in transcripts.items():
        assert what_matters(transcript) == what_matters(hf_transcripts[key]), key
    assert scores == hf_scores


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tool_caller: Path, tmp_path: Path, engine_report: dict[str, Any]) -> Iterator[str]:
    """``python -m vllm.entrypoints.openai.api_server`` (the ``vllm`` script of vllm-cpu cannot find its own
    distribution) on a free local port; stopped, and killed if need be, at the end."""
    port = free_port()
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(tool_caller)]
    command += ["--served-model-name", "tool-caller", "--host", "127.0.0.1", "--port", str(port)]
    command += [
        "--dtype",
        "float32",
        "--max-model-len",
        "2048",
        "--gpu-memory-utilization",
        str(_memory_fraction(None)),
    ]
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        start = time.monotonic()
        deadline = start + SERVER_START_S
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()[-4000:]
            assert time.monotonic() < deadline, "vLLM server did not start in time"
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=5):
                    engine_report["server_start_s"] = round(time.monotonic() - start, 1)
                    break
            except OSError:
                time.sleep(2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_the_server_gets_the_text_fallback_and_gives_what_hf_gives(
    server: str, toy_manager, hf_run, engine_report
) -> None:  # type: ignore[no-untyped-def]
    args = {"backend": "openai", "model": "tool-caller", "base_url": server, "cache": False, "tool_format": "auto"}
    scores, transcripts = run_toy(args, toy_manager, engine_report)
    hf_scores, hf_transcripts = hf_run
    assert transcripts.keys() == hf_transcripts.keys()
    stop_tokens = 0
    for key, transcript in transcripts.items():
        ours, theirs = what_matters(transcript), what_matters(hf_transcripts[key])
        # The server's completion_tokens count the <|im_end|> that ended each turn; hf counts the reply alone.
        assert ours.pop("tokens_out") == theirs.pop("tokens_out") + transcript["turns"], key
        assert ours == theirs, key
        stop_tokens += transcript["turns"]
    assert any(t["tool_calls"] for t in transcripts.values())
    assert scores.pop("tokens_out,none") == hf_scores["tokens_out,none"] + stop_tokens
    assert {k: v for k, v in scores.items() if "cost" not in k} == {
        k: v for k, v in hf_scores.items() if "cost" not in k and k != "tokens_out,none"
    }
