"""A local fake of the OpenAI Chat Completions and Anthropic Messages endpoints, driven by a script.

For offline tests and benchmarks of the API backends through the real SDKs and a real socket:
``POST /v1/chat/completions`` speaks OpenAI's wire format and ``POST /v1/messages`` Anthropic's,
tool calls included. A *script* (``FakeRequest -> FakeReply``) decides what the "model" says; the
server adds what a real endpoint adds: latency, injected faults (429 with ``Retry-After``, 500s,
dropped connections, responses slower than the client's timeout), API-key checks, token usage. It
counts what it saw, per distinct request body, so a test can assert that no request was sent twice.

Faults are drawn from a hash of (seed, request body, attempt number): the same run meets the same
faults whatever order its requests arrive in.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Wire = Literal["openai", "anthropic"]
FaultKind = Literal["429", "500", "drop", "slow"]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class FakeRequest:
    """A request as the script sees it: the same for both wires, plus the native body."""

    wire: Wire
    model: str
    messages: list[dict[str, Any]]  # {"role", "text", "tool_calls": [{"name", "arguments"}]}; tools as role "tool"
    tools: list[str]  # names offered
    max_tokens: int | None
    body: dict[str, Any]

    def first_user_text(self) -> str:
        return next((m["text"] for m in self.messages if m["role"] == "user"), "")

    def tool_results(self) -> list[str]:
        return [m["text"] for m in self.messages if m["role"] == "tool"]


@dataclass
class FakeReply:
    """What the fake model answers. Tool arguments: a dict, or (OpenAI only) a raw string sent as is."""

    text: str = ""
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)
    finish: Literal["stop", "length", "refusal", "content_filter"] = "stop"
    no_choices: bool = False  # OpenAI: a response with an empty ``choices`` list
    # A hostile server: rewrites the 200 response body (a dict to send as JSON, or raw bytes sent as they are).
    body_edit: Callable[[dict[str, Any]], dict[str, Any] | bytes] | None = None


class FakeHTTPError(Exception):
    """Raised by a script to answer with an HTTP error instead of a reply."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class Faults:
    """Transient faults injected into ``rate`` of all attempts, spread evenly over ``kinds``."""

    rate: float = 0.0
    kinds: tuple[FaultKind, ...] = ("429", "500", "drop", "slow")
    retry_after_s: float = 0.05
    slow_s: float = 1.0
    seed: int = 0


Script = Callable[[FakeRequest], FakeReply]


def body_key(body: dict[str, Any]) -> str:
    """Identifies a distinct request: the hash of its JSON body in canonical form."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unit(*parts: Any) -> float:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _openai_view(body: dict[str, Any]) -> FakeRequest:
    messages = []
    for message in body.get("messages", []):
        calls = [
            {"name": c["function"]["name"], "arguments": c["function"].get("arguments")}
            for c in message.get("tool_calls") or []
        ]
        messages.append({"role": message["role"], "text": message.get("content") or "", "tool_calls": calls})
    tools = [t["function"]["name"] for t in body.get("tools") or []]
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    return FakeRequest("openai", body.get("model", ""), messages, tools, max_tokens, body)


def _anthropic_view(body: dict[str, Any]) -> FakeRequest:
    messages: list[dict[str, Any]] = []
    if body.get("system"):
        messages.append({"role": "system", "text": body["system"], "tool_calls": []})
    for message in body.get("messages", []):
        content = message["content"]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        if message["role"] == "assistant":
            text = "".join(b.get("text", "") for b in content if b["type"] == "text")
            calls = [{"name": b["name"], "arguments": b["input"]} for b in content if b["type"] == "tool_use"]
            messages.append({"role": "assistant", "text": text, "tool_calls": calls})
            continue
        for block in content:
            if block["type"] == "text":
                messages.append({"role": "user", "text": block["text"], "tool_calls": []})
            elif block["type"] == "tool_result":
                messages.append({"role": "tool", "text": str(block.get("content", "")), "tool_calls": []})
    tools = [t["name"] for t in body.get("tools") or []]
    return FakeRequest("anthropic", body.get("model", ""), messages, tools, body.get("max_tokens"), body)


def _usage(body: dict[str, Any], reply: FakeReply) -> tuple[int, int]:
    prompt = max(1, len(json.dumps(body.get("messages", []))) // 4)
    completion = max(1, (len(reply.text) + len(json.dumps(reply.tool_calls))) // 4)
    return prompt, completion


def _openai_response(key: str, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
    prompt, completion = _usage(body, reply)
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    response: dict[str, Any] = {
        "id": f"chatcmpl-{key[:16]}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": body.get("model", ""),
        "choices": [],
        "usage": usage,
    }
    if reply.no_choices:
        return response
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None, "refusal": None}
    if reply.finish == "refusal":
        message["content"], message["refusal"] = None, reply.text
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{key[:12]}_{i}",
                "type": "function",
                "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
            }
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
    finish = {"stop": "tool_calls" if reply.tool_calls else "stop", "refusal": "stop"}.get(reply.finish, reply.finish)
    response["choices"] = [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}]
    return response


def _anthropic_response(key: str, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
    prompt, completion = _usage(body, reply)
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    for i, (name, args) in enumerate(reply.tool_calls):
        arguments = json.loads(args) if isinstance(args, str) else args
        content.append({"type": "tool_use", "id": f"toolu_{key[:12]}_{i}", "name": name, "input": arguments})
    stop = {"stop": "tool_use" if reply.tool_calls else "end_turn", "length": "max_tokens"}.get(
        reply.finish, reply.finish
    )
    return {
        "id": f"msg_{key[:16]}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", ""),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": prompt, "output_tokens": completion},
    }


class FakeChatServer:
    """Serves both wires on 127.0.0.1 from a background thread; use it as a context manager."""

    def __init__(
        self,
        script: Script,
        *,
        latency_s: float = 0.0,
        faults: Faults | None = None,
        api_key: str | None = None,
    ) -> None:
        self.script = script
        self.latency_s = latency_s
        self.faults = faults or Faults()
        self.api_key = api_key
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()  # every request received, per distinct body
        self.answered: Counter[str] = Counter()  # 200 responses sent on time, per distinct body
        self.outcomes: Counter[str] = Counter()  # "200", "429", "500", "drop", "slow", "401", ...
        self.arrivals: dict[str, list[float]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeChatServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler, bind_and_activate=False)
        server.request_queue_size = 1024  # concurrent connects must not overflow the listen backlog
        server.daemon_threads = True
        server.server_bind()
        server.server_activate()
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeChatServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset_counts(self) -> None:
        with self.lock:
            self.attempts.clear()
            self.answered.clear()
            self.outcomes.clear()
            self.arrivals.clear()
            self.max_in_flight = 0

    # ---- what one request gets ---------------------------------------------------------------
    def fault_for(self, key: str, attempt: int) -> FaultKind | None:
        faults = self.faults
        if faults.rate <= 0 or _unit(faults.seed, key, attempt, "hit") >= faults.rate:
            return None
        return faults.kinds[int(_unit(faults.seed, key, attempt, "kind") * len(faults.kinds))]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    wbufsize = -1  # buffered writes, flushed once per reply
    fake: FakeChatServer

    def setup(self) -> None:
        super().setup()
        # No Nagle: a reply must not wait for the client's delayed ACK (40 ms a request on Linux).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        """``GET /_stats``: the counters, for a client in another process."""
        if self.path.rstrip("/") != "/_stats":
            self._send_error("openai", 404, f"no route {self.path}")
            return
        fake = self.fake
        with fake.lock:
            stats = {
                "requests": sum(fake.attempts.values()),
                "distinct_requests": len(fake.attempts),
                "outcomes": dict(fake.outcomes),
                "max_in_flight": fake.max_in_flight,
            }
        self._send_json(200, stats)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path.rstrip("/").endswith("/chat/completions"):
            wire: Wire = "openai"
        elif self.path.rstrip("/").endswith("/messages"):
            wire = "anthropic"
        else:
            self._send_error("openai", 404, f"no route {self.path}")
            return
        fake = self.fake
        key = body_key(body)
        with fake.lock:
            attempt = fake.attempts[key]
            fake.attempts[key] += 1
            fake.arrivals.setdefault(key, []).append(time.monotonic())
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        try:
            self._answer(wire, key, body, attempt)
        finally:
            with fake.lock:
                fake.in_flight -= 1

    def _count(self, outcome: str, key: str | None = None) -> None:
        with self.fake.lock:
            self.fake.outcomes[outcome] += 1
            if key is not None:
                self.fake.answered[key] += 1

    def _answer(self, wire: Wire, key: str, body: dict[str, Any], attempt: int) -> None:
        fake = self.fake
        if fake.api_key is not None:
            sent = self.headers.get("x-api-key") or (self.headers.get("authorization") or "").removeprefix("Bearer ")
            if sent != fake.api_key:
                self._count("401")
                self._send_error(
                    wire, 401, "invalid x-api-key" if wire == "anthropic" else "Incorrect API key provided"
                )
                return
        fault = fake.fault_for(key, attempt)
        if fake.latency_s:
            time.sleep(fake.latency_s)
        if fault == "429":
            self._count("429")
            self._send_error(wire, 429, "rate limit reached", {"retry-after": f"{fake.faults.retry_after_s:g}"})
            return
        if fault == "500":
            self._count("500")
            self._send_error(wire, 500, "the server had an error")
            return
        if fault == "drop":
            self._count("drop")
            self.close_connection = True  # close the socket without a word
            return
        try:
            request = _openai_view(body) if wire == "openai" else _anthropic_view(body)
            reply = fake.script(request)
        except FakeHTTPError as exc:
            self._count(str(exc.status))
            self._send_error(wire, exc.status, exc.message, exc.headers)
            return
        payload = _openai_response(key, body, reply) if wire == "openai" else _anthropic_response(key, body, reply)
        if reply.body_edit is not None:
            edited = reply.body_edit(payload)
            if isinstance(edited, bytes):
                self._count("200", key)
                self._send_bytes(200, edited)
                return
            payload = edited
        if fault == "slow":
            self._count("slow")
            time.sleep(fake.faults.slow_s)  # the client has timed out by now; whatever we send is lost
            self._send_json(200, payload)
            return
        self._count("200", key)
        self._send_json(200, payload)

    def _send_error(self, wire: Wire, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        kind = ERROR_TYPES.get(status, "api_error")
        if wire == "anthropic":
            payload: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            payload = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        self._send_json(status, payload, headers)

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send_bytes(status, json.dumps(payload).encode("utf-8"), headers)

    def _send_bytes(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "")
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()  # wfile is buffered (wbufsize): headers and body leave in one send
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def main(argv: list[str] | None = None) -> None:
    """Serve in the foreground: ``python -m toolwise.bench.backends._fake_api --script MODULE:FUNCTION``."""
    import argparse
    import importlib

    parser = argparse.ArgumentParser(description="A fake OpenAI/Anthropic endpoint driven by a script")
    parser.add_argument("--script", required=True, help="MODULE:FUNCTION taking a FakeRequest, returning a FakeReply")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--api-key", default=None)
    args = parser.parse_args(argv)
    module, _, function = args.script.partition(":")
    script = getattr(importlib.import_module(module), function)
    server = FakeChatServer(script, latency_s=args.latency, faults=Faults(rate=args.fault_rate), api_key=args.api_key)
    server.start()
    print(f"listening on {server.port}", flush=True)  # the port line a parent process reads
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
