"""The OpenAI and Anthropic backends through their real SDKs against a fake server on 127.0.0.1."""

from __future__ import annotations

import json
import logging

import pytest
from backend_fakes import (
    FailFirst,
    api_backend,
    continue_with_tool_results,
    conversation,
    multiplication_model,
    problems,
)

from toolwise.bench.backends import FatalBackendError, make_backend
from toolwise.bench.backends._fake_api import FakeChatServer, FakeHTTPError, FakeReply, Faults
from toolwise.bench.backends.cache import CachedBackend
from toolwise.bench.loop import Request, run_conversations

WIRES = ["openai", "anthropic"]


def odd_problem():  # type: ignore[no-untyped-def]
    """Toy problem i asks (3 + i) x (7 + 2i): the first one, 3 x 7, is one the fake model calls a tool for."""
    return problems()[0]


@pytest.mark.parametrize("wire", WIRES)
def test_a_tool_conversation_round_trips_in_the_native_format(wire: str) -> None:
    seen = []

    def script(request):  # type: ignore[no-untyped-def]
        seen.append(request.body)
        return multiplication_model(request)

    with FakeChatServer(script) as server:
        backend = api_backend(wire, server)
        conv = conversation(odd_problem())
        first = backend.generate([conv])[0]
        assert first.error is None and first.finish_reason == "tool_calls"
        (call,) = first.tool_calls
        assert (call.name, call.arguments, call.parse_error) == ("toy_multiply", {"a": 3, "b": 7}, None)
        assert call.id
        continue_with_tool_results(conv, first)
        second = backend.generate([conv])[0]
    assert second.finish_reason == "stop" and second.content.endswith("the answer is 21")
    body = seen[-1]
    if wire == "openai":
        assert body["messages"][0]["role"] == "system"
        assert body["tools"][0]["function"]["name"] == "toy_multiply"
        assistant, tool = body["messages"][2], body["messages"][3]
        assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"a": 3, "b": 7}
        assert tool == {"role": "tool", "tool_call_id": call.id, "content": '{"product": 21.0}'}
        assert body["max_tokens"] == 64 and body["temperature"] == 0.0
    else:
        assert "system" in body and all(m["role"] != "system" for m in body["messages"])
        assert body["tools"][0]["name"] == "toy_multiply" and "input_schema" in body["tools"][0]
        assistant, result = body["messages"][1], body["messages"][2]
        assert assistant["content"][-1] == {
            "type": "tool_use",
            "id": call.id,
            "name": "toy_multiply",
            "input": call.arguments,
        }
        assert result["role"] == "user" and result["content"][0]["type"] == "tool_result"
        assert result["content"][0]["tool_use_id"] == call.id
        assert body["max_tokens"] == 64 and body["temperature"] == 0.0


@pytest.mark.parametrize("wire", WIRES)
def test_no_tool_mode_offers_no_tools(wire: str) -> None:
    seen = []
    with FakeChatServer(lambda r: seen.append(r) or multiplication_model(r)) as server:
        turn = api_backend(wire, server).generate([conversation(odd_problem(), "no_tool")])[0]
    assert seen[0].tools == [] and "tools" not in seen[0].body
    assert turn.tool_calls == [] and turn.content.endswith("the answer is 42")


def test_sampling_arguments_map_to_each_api() -> None:
    seen = []
    sampling = {
        "max_gen_toks": 99,
        "do_sample": True,
        "temperature": 0.7,
        "top_p": 0.9,
        "until": ["\n\n", "END"],
        "seed": 5,
    }
    with FakeChatServer(lambda r: seen.append(r.body) or FakeReply(text="ok")) as server:
        api_backend("openai", server).generate([conversation(odd_problem(), sampling=sampling)])
        api_backend("anthropic", server).generate([conversation(odd_problem(), sampling=sampling)])
        api_backend("openai", server, model="o3-mini").generate([conversation(odd_problem(), sampling=sampling)])
    openai, anthropic, reasoning = seen
    assert (openai["max_tokens"], openai["temperature"], openai["top_p"], openai["seed"]) == (99, 0.7, 0.9, 5)
    assert openai["stop"] == ["\n\n", "END"]
    assert (anthropic["max_tokens"], anthropic["temperature"], anthropic["top_p"]) == (99, 0.7, 0.9)
    assert anthropic["stop_sequences"] == ["END"]  # whitespace-only stops are rejected by the API
    assert reasoning["max_completion_tokens"] == 99
    assert not {"max_tokens", "temperature", "top_p", "stop"} & set(reasoning)


def test_invalid_or_non_object_tool_arguments_are_parse_errors_not_crashes() -> None:
    replies = iter(
        [
            FakeReply(tool_calls=[("toy_multiply", '{"a": 3, "b": }')]),
            FakeReply(tool_calls=[("toy_multiply", "[3, 7]")]),
            FakeReply(tool_calls=[("not_a_tool", "{}")]),
        ]
    )
    with FakeChatServer(lambda r: next(replies)) as server:
        backend = api_backend("openai", server, max_concurrency=1)
        turns = backend.generate([conversation(p) for p in problems(3)])
    bad_json, not_object, unknown = (t.tool_calls[0] for t in turns)
    assert bad_json.arguments is None and "not valid JSON" in bad_json.parse_error
    assert bad_json.raw == '{"a": 3, "b": }'
    assert not_object.arguments is None and "JSON object" in not_object.parse_error
    assert (unknown.name, unknown.arguments, unknown.parse_error) == ("not_a_tool", {}, None)


def test_through_the_loop_a_malformed_call_is_a_recorded_tool_attempt() -> None:
    def script(request):  # type: ignore[no-untyped-def]
        if request.tool_results():
            return FakeReply(text="the answer is 21")
        return FakeReply(tool_calls=[("toy_multiply", '{"a": 3, "b": ')])

    with FakeChatServer(script) as server:
        backend = api_backend("openai", server)
        (transcript,) = run_conversations([Request(odd_problem(), "choice")], backend, progress=False)
    assert transcript.n_tool_attempts == 1 and transcript.tool_errors == 1
    assert "could not parse" in transcript.tool_calls[0].error
    assert transcript.answer == 21.0


@pytest.mark.parametrize("wire", WIRES)
def test_empty_refused_and_truncated_replies_are_reported_faithfully(wire: str) -> None:
    replies = {
        3: FakeReply(text=""),
        4: FakeReply(text="I can't help with that.", finish="refusal"),
        5: FakeReply(text="The product is 3", finish="length"),
    }
    with FakeChatServer(lambda r: replies[int(r.first_user_text().split()[2])]) as server:
        empty, refused, truncated = api_backend(wire, server).generate([conversation(p) for p in problems(3)])
    assert (empty.content, empty.tool_calls, empty.error, empty.finish_reason) == ("", [], None, "stop")
    assert (refused.content, refused.finish_reason, refused.error) == ("I can't help with that.", "refusal", None)
    assert (truncated.content, truncated.finish_reason) == ("The product is 3", "length")


def test_a_response_without_choices_is_an_error_of_that_problem() -> None:
    with FakeChatServer(lambda r: FakeReply(no_choices=True)) as server:
        (turn,) = api_backend("openai", server).generate([conversation(odd_problem())])
    assert turn.error is not None and "toy-numeric-000" in turn.error and "no choices" in turn.error


@pytest.mark.parametrize("wire", WIRES)
def test_429_waits_for_retry_after_then_succeeds(wire: str) -> None:
    with FakeChatServer(FailFirst(multiplication_model, 1, 429, {"retry-after": "0.3"})) as server:
        backend = api_backend(wire, server)
        (turn,) = backend.generate([conversation(odd_problem())])
        (arrivals,) = server.arrivals.values()
    assert turn.error is None and turn.tool_calls[0].name == "toy_multiply"
    assert len(arrivals) == 2 and arrivals[1] - arrivals[0] >= 0.3
    assert backend.stats.retries == 1 and backend.stats.requests == 2


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize("fault", ["500", "drop", "slow"])
def test_server_errors_dropped_connections_and_timeouts_are_retried(wire: str, fault: str) -> None:
    # Only a slow reply may time out: a healthy reply that outlived a tight timeout (a loaded machine) would be
    # retried too, and the retry count would no longer match the faults. Other faults fail fast on their own.
    timeout = 2.0 if fault == "slow" else 60.0
    faults = Faults(rate=0.5, kinds=(fault,), slow_s=timeout + 0.5, seed=3)
    with FakeChatServer(multiplication_model, faults=faults) as server:
        backend = api_backend(wire, server, timeout=timeout, max_retries=10)
        turns = backend.generate([conversation(p) for p in problems(6)])
    assert all(t.error is None for t in turns)
    assert server.outcomes[fault] >= 1 and backend.stats.retries == server.outcomes[fault]
    assert server.outcomes["200"] == 6


def test_exhausted_retries_fail_that_problem_only() -> None:
    def script(request):  # type: ignore[no-untyped-def]
        if "What is 3 times" in request.first_user_text():
            raise FakeHTTPError(503, "overloaded")
        return multiplication_model(request)

    with FakeChatServer(script) as server:
        backend = api_backend("openai", server, max_retries=2)
        turns = backend.generate([conversation(p) for p in problems(4)])
    assert "toy-numeric-000" in turns[0].error and "gave up after 3 attempts" in turns[0].error
    assert "HTTP 503" in turns[0].error and turns[0].finish_reason == "error"
    assert all(t.error is None for t in turns[1:])
    assert backend.stats.failed == 1


@pytest.mark.parametrize("wire", WIRES)
def test_a_bad_request_fails_fast_naming_the_problem(wire: str) -> None:
    def script(request):  # type: ignore[no-untyped-def]
        if "What is 4 times" in request.first_user_text():
            raise FakeHTTPError(400, "prompt is too long")
        return multiplication_model(request)

    with FakeChatServer(script) as server:
        turns = api_backend(wire, server).generate([conversation(p) for p in problems(3)])
        assert server.outcomes["400"] == 1  # not retried
    assert "problem toy-numeric-001 (mode choice, turn 0)" in turns[1].error
    assert "HTTP 400" in turns[1].error and "prompt is too long" in turns[1].error
    assert turns[0].error is None and turns[2].error is None


@pytest.mark.parametrize("wire", WIRES)
def test_a_wrong_key_stops_the_run_and_says_which_key(wire: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeChatServer(multiplication_model, api_key="the-right-key-000000") as server:
        backend = api_backend(wire, server, api_key="sk-wrong-key-123456789")
        with pytest.raises(FatalBackendError) as caught:
            backend.generate([conversation(p) for p in problems(4)])
        message = str(caught.value)
        assert "HTTP 401" in message and "api_key in --model_args" in message and "sk-...6789" in message
        assert "problem toy-numeric-00" in message and server.outcomes["401"] <= 4

        env_var = "OPENAI_API_KEY" if wire == "openai" else "ANTHROPIC_API_KEY"
        monkeypatch.setenv(env_var, "env-wrong-key-987654321")
        backend = api_backend(wire, server, api_key=None)
        with pytest.raises(FatalBackendError, match=f"the {env_var} environment variable"):
            backend.generate([conversation(odd_problem())])


def test_a_wrong_key_through_the_loop_stops_the_run() -> None:
    with FakeChatServer(multiplication_model, api_key="the-right-key-000000") as server:
        backend = api_backend("openai", server, api_key="sk-wrong-key-123456789")
        with pytest.raises(FatalBackendError):
            run_conversations([Request(p, "choice") for p in problems(3)], backend, progress=False)


@pytest.mark.parametrize("limit", [1, 4])
def test_requests_in_flight_never_exceed_max_concurrency(limit: int) -> None:
    with FakeChatServer(multiplication_model, latency_s=0.05) as server:
        backend = api_backend("openai", server, max_concurrency=limit)
        turns = backend.generate([conversation(p) for p in problems(12)])
    assert all(t.error is None for t in turns)
    assert server.max_in_flight == limit


@pytest.mark.parametrize("wire", WIRES)
def test_tokens_and_cost_come_from_usage_and_the_price_table(wire: str) -> None:
    with FakeChatServer(multiplication_model) as server:
        (turn,) = api_backend(wire, server).generate([conversation(odd_problem())])
    usage = json.loads(turn.raw)["usage"]
    tokens_in = usage.get("prompt_tokens", usage.get("input_tokens"))
    tokens_out = usage.get("completion_tokens", usage.get("output_tokens"))
    assert (turn.tokens_in, turn.tokens_out) == (tokens_in, tokens_out) and tokens_in > 0
    price_in, price_out = (2.50, 10.00) if wire == "openai" else (3.00, 15.00)
    assert turn.cost_usd == pytest.approx((tokens_in * price_in + tokens_out * price_out) / 1e6)


def test_user_prices_override_and_an_unpriced_model_costs_zero(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    prices = tmp_path / "prices.yaml"
    prices.write_text("my-local-model: {input: 1.0, output: 2.0}\n")
    with FakeChatServer(multiplication_model) as server:
        priced = api_backend("openai", server, model="my-local-model", prices=str(prices))
        (turn,) = priced.generate([conversation(odd_problem())])
        assert turn.cost_usd == pytest.approx((turn.tokens_in * 1.0 + turn.tokens_out * 2.0) / 1e6)
        with caplog.at_level(logging.WARNING):
            unpriced = api_backend("openai", server, model="some-other-model")
        assert "no price known for model 'some-other-model'" in caplog.text
        assert unpriced.generate([conversation(odd_problem())])[0].cost_usd == 0.0


def test_backend_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match=r"unknown model_args \['temprature'\]; known: .*max_concurrency"):
        make_backend("openai", model="gpt-4o", api_key="k", temprature=0.5)
    with pytest.raises(ValueError, match="no API key; set OPENAI_API_KEY"):
        make_backend("openai", model="gpt-4o")
    with pytest.raises(ValueError, match="no API key; set ANTHROPIC_API_KEY"):
        make_backend("anthropic", model="claude-3-5-sonnet-latest")
    with pytest.raises(ValueError, match="max_concurrency must be at least 1"):
        make_backend("openai", model="gpt-4o", api_key="k", max_concurrency=0)
    # lm-eval's generic arguments are accepted and ignored; a local server needs no key
    backend = make_backend("openai", model="m", base_url="http://127.0.0.1:1/v1", batch_size=8, device="cuda")
    assert isinstance(backend, CachedBackend) and backend.inner.key_source.startswith("no key given")
