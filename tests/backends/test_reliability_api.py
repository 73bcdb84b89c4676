"""A server that cannot be reached, or stops answering, ends the run in bounded time with one clear line
(issue 14, item 2)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from backend_fakes import api_backend, conversation, multiplication_model, problems

from toolwise.bench.backends import FatalBackendError, make_backend
from toolwise.bench.backends._fake_api import FakeChatServer, FakeReply


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def test_refused_connections_stop_the_run_once_the_budget_is_spent() -> None:
    url = closed_port_url()
    backend = make_backend(
        "openai", model="m", base_url=url, api_key="k", cache=False, progress=False,
        max_retries=50, retry_base_delay=0.05, retry_max_delay=0.2, unreachable_after_s=1.0,
    )  # fmt: skip
    with pytest.raises(FatalBackendError, match=rf"could not reach {url} .*check that the server is running"):
        backend.generate([conversation(p) for p in problems(4)])
    assert backend.stats.requests < 50 * 4  # stopped long before every request used its retries


def test_a_server_that_never_answers_costs_one_timeout_not_one_per_turn() -> None:
    release = threading.Event()

    def hang(request):  # type: ignore[no-untyped-def]
        release.wait(10)
        return FakeReply(text="too late")

    with FakeChatServer(hang) as server:
        backend = api_backend("openai", server, timeout=0.3, max_retries=20, unreachable_after_s=0.5)
        try:
            with pytest.raises(FatalBackendError, match="could not reach"):
                backend.generate([conversation(p) for p in problems(3)])
        finally:
            release.set()
    assert backend.stats.requests <= 3 * 3


def test_a_server_that_stops_answering_stops_the_run() -> None:
    answered = []
    release = threading.Event()

    def answer_once_then_hang(request):  # type: ignore[no-untyped-def]
        if not answered:
            answered.append(time.monotonic())
            return multiplication_model(request)
        release.wait(10)
        return FakeReply(text="too late")

    with FakeChatServer(answer_once_then_hang) as server:
        backend = api_backend("openai", server, timeout=0.2, max_retries=30, max_unanswered=4, max_concurrency=2)
        try:
            first = backend.generate([conversation(problems(1)[0])])[0]
            assert first.error is None
            with pytest.raises(FatalBackendError, match=r"stopped answering: 4 requests in a row got no response"):
                backend.generate([conversation(p) for p in problems(4)])
        finally:
            release.set()
