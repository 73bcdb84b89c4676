"""The response cache: keys, hits on restart, failures never stored, several processes at once."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from backend_fakes import api_backend, conversation, multiplication_model, problems

from toolwise.bench.backends import FatalBackendError, make_backend
from toolwise.bench.backends._fake_api import FakeChatServer, FakeHTTPError
from toolwise.bench.backends.cache import CachedBackend, ResponseCache, request_key
from toolwise.bench.backends.scripted import OracleBackend
from toolwise.bench.sampling import Sampling


def test_the_key_covers_the_whole_request_and_nothing_else() -> None:
    identity = {"backend": "openai", "model": "gpt-4o", "base_url": "https://api.openai.com/v1"}
    base = conversation(problems(1)[0])
    key = request_key(identity, base)
    reordered = copy.deepcopy(base)
    reordered.sampling = Sampling.from_gen_kwargs({"until": [], "max_gen_toks": 64})  # the same, spelt otherwise
    reordered.turn = 7  # bookkeeping, not part of the request
    assert request_key(dict(reversed(list(identity.items()))), reordered) == key
    changes = []
    for edit in (
        lambda c: c.messages.append({"role": "user", "content": "more"}),
        lambda c: setattr(c, "tools", None),
        lambda c: setattr(c, "sampling", dataclasses.replace(c.sampling, temperature=0.5)),
        lambda c: setattr(c, "mode", "forced"),
        lambda c: setattr(c, "problem", problems(2)[1]),
    ):
        changed = copy.deepcopy(base)
        edit(changed)
        changes.append(request_key(identity, changed))
    for other in ({"model": "gpt-4o-mini"}, {"base_url": "http://127.0.0.1:8000/v1"}):
        changes.append(request_key(identity | other, base))
    assert key not in changes and len(set(changes)) == len(changes)


def test_a_restarted_run_sends_no_request_twice_and_gets_identical_turns(private_environment: Path) -> None:
    convs = [conversation(p, mode) for p in problems(4) for mode in ("no_tool", "choice")]
    with FakeChatServer(multiplication_model) as server:
        first = api_backend("openai", server, cache=True).generate(convs)
        sent = sum(server.attempts.values())
        again = api_backend("openai", server, cache=True)
        second = again.generate(convs)
        assert sum(server.attempts.values()) == sent == len(convs)
    assert second == first
    assert (again.hits, again.misses) == (len(convs), 0)
    assert (private_environment / "responses.sqlite").exists()


def test_the_cache_is_per_backend_identity_and_can_be_turned_off(tmp_path: Path) -> None:
    conv = conversation(problems(1)[0])
    with FakeChatServer(multiplication_model) as server:
        api_backend("openai", server, cache=True, cache_dir=str(tmp_path)).generate([conv])
        api_backend("openai", server, cache=True, cache_dir=str(tmp_path), model="gpt-4o-mini").generate([conv])
        api_backend("anthropic", server, cache=True, cache_dir=str(tmp_path)).generate([conv])
        assert sum(server.attempts.values()) == 3
        api_backend("openai", server, cache=False).generate([conv])
        assert sum(server.attempts.values()) == 4
    assert len(ResponseCache(tmp_path)) == 3


def test_failed_turns_are_not_stored() -> None:
    calls = {"n": 0}

    def flaky(request):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise FakeHTTPError(400, "bad luck")
        return multiplication_model(request)

    conv = conversation(problems(1)[0])
    with FakeChatServer(flaky) as server:
        assert api_backend("openai", server, cache=True).generate([conv])[0].error is not None
        assert api_backend("openai", server, cache=True).generate([conv])[0].error is None
        assert api_backend("openai", server, cache=True).generate([conv])[0].error is None
        assert sum(server.attempts.values()) == 2


def test_each_answer_is_stored_as_it_lands_so_a_crash_mid_turn_loses_only_the_rest() -> None:
    def script(request):  # type: ignore[no-untyped-def]
        if "What is 8 times" in request.first_user_text():
            raise FakeHTTPError(401, "key revoked")
        return multiplication_model(request)

    convs = [conversation(p) for p in problems(6)]
    with FakeChatServer(script, latency_s=0.02) as server:
        with pytest.raises(FatalBackendError):
            api_backend("openai", server, cache=True, max_concurrency=1).generate(convs)
        stored = len(ResponseCache(None))
        assert stored == 5  # problems 0-4 answered before problem 5 (8 x 17) hit the 401
        resumed = api_backend("openai", server, cache=True)
        with pytest.raises(FatalBackendError):
            resumed.generate(convs)
        assert resumed.hits == 5


def test_make_backend_caches_api_backends_by_default_and_scripted_ones_not() -> None:
    api = make_backend("openai", model="gpt-4o", api_key="k")
    assert isinstance(api, CachedBackend) and api.name == "openai" and api.model == "gpt-4o"
    assert not isinstance(make_backend("openai", model="gpt-4o", api_key="k", cache=False), CachedBackend)
    assert not isinstance(make_backend("openai", model="gpt-4o", api_key="k", cache="false"), CachedBackend)
    assert not isinstance(make_backend("oracle"), CachedBackend)
    assert isinstance(make_backend("oracle", cache=True), CachedBackend)
    with pytest.raises(ValueError, match="cache must be true or false"):
        make_backend("oracle", cache="sometimes")


def test_a_backend_without_streaming_results_is_cached_too(tmp_path: Path) -> None:
    backend = CachedBackend(OracleBackend(), tmp_path)
    convs = [conversation(p, "choice") for p in problems(4)]
    first = backend.generate(convs)
    again = CachedBackend(OracleBackend(), tmp_path)
    assert again.generate(convs) == first and again.hits == 4


WRITER = """
import sys
from toolwise.bench.backends.base import AssistantTurn, Conversation, ParsedToolCall
from toolwise.bench.backends.cache import ResponseCache
from toolwise.bench.problem import Problem

path, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
cache = ResponseCache(path)
problem = Problem(id="p", domain="d", question="q", answer_type="numeric", answer=1.0, tools=[])
conv = Conversation(problem, "choice", [], None)
for i in range(count):
    turn = AssistantTurn(content=f"{worker}-{i}", tool_calls=[ParsedToolCall("t", {"i": i}, id=f"c{i}")])
    cache.put(f"{worker}-{i}", turn, {"backend": "test"}, conv)
"""


def test_two_processes_can_write_the_same_cache_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    ResponseCache(path).close()
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, path, str(w), "150"]) for w in range(2)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    cache = ResponseCache(path)
    assert len(cache) == 300
    found = cache.get_many([f"{w}-{i}" for w in range(2) for i in range(150)])
    assert found["1-149"].content == "1-149" and found["0-7"].tool_calls[0].arguments == {"i": 7}
