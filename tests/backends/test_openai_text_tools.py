"""The openai backend against a server whose chat template ignores ``tools=`` (SmolLM2's under vllm serve).

The fake server stands in for such a server: its prompt token count comes from the messages alone, and
its scripted "model" only knows the tools it reads in the system prompt, answering with the
``<tool_call>`` text blocks of the hf backend's fallback.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
from backend_fakes import FAST_RETRIES, QUESTION, problems

from toolwise.bench.backends import _fake_api, make_backend
from toolwise.bench.backends._fake_api import FakeChatServer, FakeHTTPError, FakeReply, FakeRequest
from toolwise.bench.backends.tool_parsing import FALLBACK_INSTRUCTIONS
from toolwise.bench.loop import Request, run_conversations

RESULT = re.compile(r"Result of tool 'toy_multiply':\n(\{.*\})", re.S)


def text_tool_model(request: FakeRequest) -> FakeReply:
    """Calls toy_multiply for odd a, in text, when the system prompt lists it; answers from a text result."""
    question = QUESTION.search(request.first_user_text())
    if question is None:  # tool_format=auto's probe
        return FakeReply(text="Hello!")
    a, b = (int(x) for x in question.groups())
    system = next((m["text"] for m in request.messages if m["role"] == "system"), "")
    last = request.messages[-1]["text"]
    if RESULT.search(last):
        product = json.loads(RESULT.search(last).group(1))["product"]
        return FakeReply(text=f"The tool says {product:g}, so the answer is {product:g}")
    if a % 2 == 1 and "- toy_multiply(" in system:
        call = json.dumps({"name": "toy_multiply", "arguments": {"a": a, "b": b}})
        return FakeReply(text=f"I will use the tool.\n<tool_call>\n{call}\n</tool_call>")
    return FakeReply(text=f"the answer is {a * b if a % 2 == 0 else 2 * a * b}")


def call_json(a: int, b: int) -> str:
    return json.dumps({"name": "toy_multiply", "arguments": {"a": a, "b": b}})


def openai_backend(server: FakeChatServer, **kwargs):  # type: ignore[no-untyped-def]
    args = {"model": "smollm2", "base_url": server.openai_url, "cache": False}
    return make_backend("openai", **(args | FAST_RETRIES | kwargs))


def run_choice(backend, n: int = 4):  # type: ignore[no-untyped-def]
    requests = [Request(p, "choice", {"max_gen_toks": 64}) for p in problems(n)]
    return run_conversations(requests, backend, progress=False)


def test_text_mode_describes_the_tools_in_the_system_prompt_and_reads_calls_from_the_text() -> None:
    bodies = []
    with FakeChatServer(lambda r: bodies.append(r.body) or text_tool_model(r)) as server:
        transcripts = run_choice(openai_backend(server, tool_format="text"))
    assert all("tools" not in body for body in bodies)
    first = bodies[0]["messages"][0]
    assert first["role"] == "system" and FALLBACK_INSTRUCTIONS in first["content"]
    for i, transcript in enumerate(transcripts):
        product = (3 + i) * (7 + 2 * i)
        assert transcript.answer == pytest.approx(product) and transcript.error is None
        assert transcript.n_tool_attempts == (i % 2 == 0)  # odd a = 3, 5: even i
    call = transcripts[0].messages[2]["tool_calls"][0]
    assert call["function"] == {"name": "toy_multiply", "arguments": {"a": 3, "b": 7}}
    assert call["id"].startswith("call_")
    # The second turn sends the call back as text and the result as a user message, as the hf fallback does.
    # (3 x 7's: the second turns of 3 x 7 and 5 x 11 run concurrently, in either order)
    second = next(b for b in bodies if len(b["messages"]) > 2 and call_json(3, 7) in str(b["messages"]))["messages"]
    assert second[2] == {
        "role": "assistant",
        "content": f"I will use the tool.\n<tool_call>\n{call_json(3, 7)}\n</tool_call>",
    }
    assert second[3]["role"] == "user" and second[3]["content"].startswith("Result of tool 'toy_multiply':")


def test_auto_probes_once_and_falls_back_to_text_when_tools_do_not_lengthen_the_prompt(caplog) -> None:  # type: ignore[no-untyped-def]
    bodies = []
    with FakeChatServer(lambda r: bodies.append(r.body) or text_tool_model(r)) as server:
        backend = openai_backend(server, tool_format="auto")
        with caplog.at_level(logging.WARNING):
            transcripts = run_choice(backend)
    probes = [b for b in bodies if b["messages"] == [{"role": "user", "content": "hi"}]]
    assert len(probes) == 2 and probes[1]["tools"][0]["function"]["name"] == "probe_tool_xyz"
    assert backend.text_tools and "ignores tools=" in caplog.text
    assert [t.n_tool_attempts for t in transcripts] == [1, 0, 1, 0]
    assert all(t.error is None for t in transcripts)


def test_auto_keeps_native_tools_when_the_server_renders_them(monkeypatch: pytest.MonkeyPatch) -> None:
    def usage_with_tools(body, reply):  # type: ignore[no-untyped-def]
        prompt = len(json.dumps(body.get("messages", []))) // 4 + len(json.dumps(body.get("tools", []))) // 4
        return max(1, prompt), 1

    monkeypatch.setattr(_fake_api, "_usage", usage_with_tools)
    bodies = []
    with FakeChatServer(lambda r: bodies.append(r.body) or text_tool_model(r)) as server:
        backend = openai_backend(server, tool_format="auto")
        run_choice(backend, n=2)
    assert not backend.text_tools and "tools" in bodies[-1]


def test_native_mode_warns_once_and_counts_call_like_text_the_server_did_not_parse(caplog) -> None:  # type: ignore[no-untyped-def]
    def writes_calls_as_text(request: FakeRequest) -> FakeReply:
        a, b = (int(x) for x in QUESTION.search(request.first_user_text()).groups())
        return FakeReply(text=f"<tool_call>\n{call_json(a, b)}\n</tool_call>")

    with FakeChatServer(writes_calls_as_text) as server:
        backend = openai_backend(server)
        with caplog.at_level(logging.WARNING):
            transcripts = run_choice(backend, n=3)
    assert backend.untaken_text_calls == 3
    assert caplog.text.count("the server returned no tool_calls") == 1 and "tool_format=text" in caplog.text
    assert all(t.n_tool_attempts == 0 for t in transcripts)  # native: the text is an answer, not a call


def test_no_tool_mode_sends_no_tool_description_in_text_mode() -> None:
    bodies = []
    with FakeChatServer(lambda r: bodies.append(r.body) or text_tool_model(r)) as server:
        backend = openai_backend(server, tool_format="text")
        run_conversations([Request(problems(1)[0], "no_tool", {"max_gen_toks": 64})], backend, progress=False)
    assert all(FALLBACK_INSTRUCTIONS not in m["content"] for m in bodies[0]["messages"])


def test_an_unknown_tool_format_is_refused() -> None:
    with FakeChatServer(text_tool_model) as server, pytest.raises(ValueError, match="tool_format must be one of"):
        openai_backend(server, tool_format="xml")


def test_auto_falls_back_to_text_when_the_server_rejects_tools(caplog) -> None:  # type: ignore[no-untyped-def]
    """vllm serve without --enable-auto-tool-choice answers 400 to any request with tools=."""
    bodies = []

    def no_tool_parser(request: FakeRequest) -> FakeReply:
        bodies.append(request.body)
        if "tools" in request.body:
            raise FakeHTTPError(400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser')
        return text_tool_model(request)

    with FakeChatServer(no_tool_parser) as server:
        backend = openai_backend(server, tool_format="auto")
        with caplog.at_level(logging.WARNING):
            transcripts = run_choice(backend)
    assert backend.text_tools and "rejects a request with tools=" in caplog.text
    assert sum("tools" in body for body in bodies) == 1  # the probe alone
    assert [t.n_tool_attempts for t in transcripts] == [1, 0, 1, 0]
    assert all(t.error is None for t in transcripts)
