"""API backend concurrency: wall time of a whole tool-use run against a fake endpoint with fixed latency.

    python -m toolwise.bench.perf.api_backends --problems 200 --latency 0.5 --concurrency 1 8 32

Every problem is asked in both modes through the conversation loop and the ``openai`` (or
``anthropic``) backend, over the real SDK and a socket, to the fake server of
``bench/backends/_fake_api.py`` that answers each request after ``--latency`` seconds. Its scripted
model calls the tool on half the problems in ``choice`` mode, so a run is 2n requests in turn 1
and n/2 in turn 2. Ideal wall time = requests x latency / concurrency (the issue's yardstick);
the per-turn ideal adds the wait for the last, partial wave of each turn.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field

from toolwise.bench.backends import make_backend
from toolwise.bench.backends._fake_api import FakeReply, FakeRequest
from toolwise.bench.loop import Request, run_conversations
from toolwise.bench.problem import Problem, ToolCall
from toolwise.tools import tool

QUESTION = re.compile(r"What is (\d+) times (\d+)\?")
SCRIPT = "toolwise.bench.perf.api_backends:scripted_model"  # importable by name from the server process


@tool
def perf_api_multiply(a: Annotated[float, Field(ge=0, le=1e6)], b: Annotated[float, Field(ge=0, le=1e6)]) -> dict:
    """Multiply two numbers.

    Args:
        a: first factor.
        b: second factor.
    """
    return {"product": a * b}


def problems(n: int) -> list[Problem]:
    return [
        Problem(
            id=f"perf-api-{i:04d}",
            domain="perf",
            question=f"What is {i} times {i + 3}?",
            answer_type="numeric",
            answer=float(i * (i + 3)),
            tools=["perf_api_multiply"],
            reference_calls=[ToolCall("perf_api_multiply", {"a": i, "b": i + 3})],
        )
        for i in range(n)
    ]


def scripted_model(request: FakeRequest) -> FakeReply:
    """Knows a x b for even a; calls the tool for the rest when it may."""
    match = QUESTION.search(request.first_user_text())
    a, b = (int(x) for x in match.groups()) if match else (0, 0)
    if request.tool_results():
        return FakeReply(text=f"the answer is {a * b}")
    if a % 2 == 0:
        return FakeReply(text=f"the answer is {a * b}")
    if request.tools:
        return FakeReply(tool_calls=[("perf_api_multiply", {"a": a, "b": b})])
    return FakeReply(text=f"the answer is {a * b + 1}")


@contextlib.contextmanager
def fake_server_process(latency: float) -> Iterator[str]:
    """The fake endpoint in its own process, so that it and the client do not share a GIL."""
    command = [sys.executable, "-m", "toolwise.bench.backends._fake_api", "--script", SCRIPT]
    process = subprocess.Popen([*command, "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("listening on "):
            raise RuntimeError(f"the fake server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[-1])}"
    finally:
        process.terminate()
        process.wait(10)


def run_once(wire: str, n: int, latency: float, concurrency: int) -> dict[str, Any]:
    with fake_server_process(latency) as root:
        url = f"{root}/v1" if wire == "openai" else root
        model = "gpt-4o" if wire == "openai" else "claude-3-5-sonnet-latest"
        backend = make_backend(
            wire, model=model, base_url=url, api_key="perf", cache=False, max_concurrency=concurrency, progress=False
        )
        requests = [Request(p, mode, {"max_gen_toks": 256}) for p in problems(n) for mode in ("no_tool", "choice")]
        start = time.perf_counter()
        transcripts = run_conversations(requests, backend, progress=False)
        wall = time.perf_counter() - start
        with urllib.request.urlopen(f"{root}/_stats") as reply:
            stats = json.load(reply)
    sent = stats["requests"]
    turn_sizes = [len(requests), sum(t.turns == 2 for t in transcripts)]
    ideal = sent * latency / concurrency
    per_turn_ideal = sum(math.ceil(size / concurrency) * latency for size in turn_sizes)
    return {
        "wire": wire,
        "concurrency": concurrency,
        "requests": sent,
        "turn_sizes": turn_sizes,
        "wall_s": round(wall, 2),
        "ideal_s": round(ideal, 2),
        "ratio_to_ideal": round(wall / ideal, 3),
        "per_turn_ideal_s": round(per_turn_ideal, 2),
        "peak_in_flight": stats["max_in_flight"],
        "errors": sum(t.error is not None for t in transcripts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the fake server takes per request")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--wire", choices=["openai", "anthropic"], default="openai")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    rows = [run_once(args.wire, args.problems, args.latency, c) for c in args.concurrency]
    print(f"# {args.wire}, {args.problems} problems x 2 modes, {args.latency} s per request, {os.cpu_count()} CPUs")
    print("| concurrency | requests | wall s | ideal s | wall / ideal | per-turn ideal s | peak in flight | errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['concurrency']} | {r['requests']} | {r['wall_s']} | {r['ideal_s']} | {r['ratio_to_ideal']} "
            f"| {r['per_turn_ideal_s']} | {r['peak_in_flight']} | {r['errors']} |"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
