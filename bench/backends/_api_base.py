"""What the OpenAI and Anthropic backends share: concurrent requests, retries, accounting.

A turn's requests run as coroutines on a private event loop, at most ``max_concurrency`` in flight,
each retried on transient errors (``_retry``). A request that fails for good becomes an
``AssistantTurn`` with ``error`` set; a failure every request would share (a wrong key, an unknown
model) raises ``FatalBackendError`` and stops the run. Subclasses supply the SDK client, the native
request, the response parsing and the error classification.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from tqdm.auto import tqdm

from toolwise.bench.backends._retry import (
    Failure,
    FailureKind,
    FatalBackendError,
    RateGate,
    RetryPolicy,
    classify_status_error,
)
from toolwise.bench.backends.base import AssistantTurn, Conversation
from toolwise.bench.backends.pricing import Price, PriceTable
from toolwise.bench.secrets import KEY_ENV_VAR

log = logging.getLogger(__name__)
T = TypeVar("T")

ResultCallback = Callable[[int, AssistantTurn], None]

# lm-eval hands every model these; an API backend has no use for them.
LM_EVAL_GENERIC_ARGS = frozenset({"batch_size", "max_batch_size", "device"})
DEFAULT_MAX_TOKENS = 1024


@dataclass
class UsageStats:
    """Running totals of one backend over its lifetime (all turns)."""

    turns: int = 0  # conversations answered, failed ones included
    requests: int = 0  # HTTP attempts, retries included
    retries: int = 0
    failed: int = 0  # turns that ended with ``error`` set
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even inside a running loop (a notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def raw_json(response: Any) -> str:
    """The response as JSON text for the transcript; lone surrogates in it are kept as ``\\ud800`` escapes."""
    data = response.model_dump(exclude_unset=True, warnings=False) if hasattr(response, "model_dump") else response
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def mask_key(key: str | None) -> str:
    """Enough of a key to tell two keys apart, not enough to use it."""
    if not key:
        return "<none>"
    return f"{key[:3]}...{key[-4:]}" if len(key) > 12 else "<short key>"


class ConcurrentAPIBackend:
    """Base of the chat-API backends: one coroutine per conversation, bounded, retried, priced."""

    name = ""
    provider = ""  # for messages: "OpenAI", "Anthropic"
    key_env_var = ""
    base_url_env_var = ""  # where a base_url not passed in --model_args may come from
    default_base_url = ""  # the provider's endpoint, when no base_url is given
    client_class = ""  # the SDK's async client
    cache_by_default = True

    def __init__(
        self,
        *,
        model: str,
        api_key: str | None = None,
        base_url: str | None = None,
        max_concurrency: int = 8,
        max_retries: int = 6,
        retry_base_delay: float = 1.0,
        retry_max_delay: float = 60.0,
        timeout: float = 120.0,
        unreachable_after_s: float = 30.0,
        max_unanswered: int = 16,
        max_tokens: int | None = None,
        progress: bool = True,
        prices: str | None = None,
        price_in: float | None = None,
        price_out: float | None = None,
        http_client: Any = None,
        **unknown: Any,
    ) -> None:
        base_url = base_url or os.environ.get(self.base_url_env_var) or None
        unknown = {k: v for k, v in unknown.items() if k not in LM_EVAL_GENERIC_ARGS}
        if unknown:
            raise ValueError(
                f"{self.name} backend: unknown model_args {sorted(unknown)}; known: {', '.join(self.known_args())}"
            )
        if not model:
            raise ValueError(f"{self.name} backend needs model=... in --model_args")
        if int(max_concurrency) < 1:
            raise ValueError(f"{self.name} backend: max_concurrency must be at least 1, got {max_concurrency}")
        if max_tokens is not None and int(max_tokens) < 1:
            raise ValueError(f"{self.name} backend: max_tokens must be at least 1, got {max_tokens}")
        self.model = str(model)
        self.max_concurrency = int(max_concurrency)
        self.retry = RetryPolicy(int(max_retries), float(retry_base_delay), float(retry_max_delay))
        self.timeout = float(timeout)
        if self.timeout <= 0:
            raise ValueError(f"{self.name} backend: timeout must be positive (seconds), got {timeout}")
        # A server that never answered: give up after this long. One that stopped: after this many in a row.
        self.unreachable_after_s = float(unreachable_after_s)
        self.max_unanswered = int(max_unanswered)
        if self.max_unanswered < 1:
            raise ValueError(f"{self.name} backend: max_unanswered must be at least 1, got {max_unanswered}")
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.progress = bool(progress)
        self.http_client = http_client  # tests pass an httpx2.AsyncClient with a mock transport
        self.price: Price | None = PriceTable.from_model_args(self.model, prices, price_in, price_out).lookup(
            self.model
        )
        if self.price is None:
            log.warning(
                "%s backend: no price known for model %r; its cost is reported as 0 (pass prices=FILE or "
                "price_in=/price_out= in --model_args)",
                self.name,
                self.model,
            )
        self.api_key, self.key_source = self._resolve_key(api_key, base_url)
        self.base_url = base_url
        self.stats = UsageStats()
        self._rng = random.Random()
        self._warned: set[str] = set()
        self._reached = False  # has any request ever got an HTTP response?
        self._first_attempt: float | None = None
        self._unanswered = 0  # requests in a row that got no response at all

    # ---- what subclasses provide -------------------------------------------------------------
    def _sdk(self) -> Any:
        """The provider's SDK module (the subclass imports it, so that this module needs no SDK)."""
        raise NotImplementedError

    def _new_client(self) -> Any:
        return getattr(self._sdk(), self.client_class)(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=0,  # our retry loop does it, with a shared rate gate and per-problem messages
            http_client=self.http_client,
        )

    def _effective_base_url(self) -> str:
        return (self.base_url or self.default_base_url).rstrip("/")

    def _build_request(self, conv: Conversation) -> dict[str, Any]:
        raise NotImplementedError

    async def _send(self, client: Any, request: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _parse_response(self, conv: Conversation, response: Any) -> AssistantTurn:
        raise NotImplementedError

    def _classify(self, exc: Exception) -> Failure | None:
        """Sort an SDK error; None for anything that is not an API error (a bug: let it raise)."""
        sdk = self._sdk()  # the OpenAI and Anthropic SDKs name their errors alike
        if isinstance(exc, sdk.APIStatusError):
            return classify_status_error(exc.status_code, exc.response.headers, exc.body, exc.message)
        if isinstance(exc, sdk.APIConnectionError):  # timeouts and dropped connections
            return Failure(FailureKind.TRANSIENT, None, f"{type(exc).__name__}: {exc}")
        if isinstance(exc, sdk.APIResponseValidationError):
            return Failure(FailureKind.PERMANENT, exc.status_code, f"malformed response: {exc}")
        return None

    def cache_identity(self) -> dict[str, Any]:
        """Everything besides the conversation that shapes the response (the cache key's backend part)."""
        return {
            "backend": self.name,
            "model": self.model,
            "base_url": self._effective_base_url(),
            "max_tokens": self.max_tokens,
        }

    # ---- public API --------------------------------------------------------------------------
    @classmethod
    def known_args(cls) -> list[str]:
        import inspect

        names: set[str] = set()
        for klass in cls.__mro__:
            if "__init__" in vars(klass):
                params = inspect.signature(klass.__init__).parameters.values()
                names |= {p.name for p in params if p.kind is p.KEYWORD_ONLY}
        return sorted(names - {"http_client"})

    def generate(
        self, conversations: list[Conversation], on_result: ResultCallback | None = None
    ) -> list[AssistantTurn]:
        """One AssistantTurn per conversation, in order; ``on_result(i, turn)`` fires as each one lands."""
        if not conversations:
            return []
        return run_coroutine(self._generate_all(conversations, on_result))

    # ---- the machinery -----------------------------------------------------------------------
    def _resolve_key(self, api_key: str | None, base_url: str | None) -> tuple[str | None, str]:
        if api_key:
            return str(api_key), "api_key in --model_args"
        if os.environ.get(KEY_ENV_VAR):  # api_key= taken out of the lm_eval command line (bench/secrets.py)
            return os.environ[KEY_ENV_VAR], "api_key in --model_args"
        if os.environ.get(self.key_env_var):
            return os.environ[self.key_env_var], f"the {self.key_env_var} environment variable"
        if base_url:
            # A local OpenAI-compatible server (vllm serve) usually wants no key; the SDK wants one.
            return "EMPTY", "no key given (placeholder 'EMPTY' for a local server)"
        raise ValueError(f"{self.name} backend: no API key; set {self.key_env_var} or pass api_key=... in --model_args")

    def reply_budget(self, conv: Conversation) -> int:
        """Tokens a reply may have: ``max_tokens`` of the model arguments, else the request's, else 1024."""
        return self.max_tokens or conv.sampling.max_tokens or DEFAULT_MAX_TOKENS

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message)

    def _cost(self, tokens_in: int, tokens_out: int, cached_in: int = 0) -> float:
        return 0.0 if self.price is None else self.price.cost_usd(tokens_in, tokens_out, cached_in)

    @staticmethod
    def _label(conv: Conversation) -> str:
        return f"problem {conv.problem.id} (mode {conv.mode}, turn {conv.turn})"

    def _error_turn(self, conv: Conversation, message: str) -> AssistantTurn:
        return AssistantTurn(content="", finish_reason="error", error=f"{self._label(conv)}: {message}")

    def _note_response(self, answered: bool) -> None:
        if answered:
            self._reached, self._unanswered = True, 0
        else:
            self._unanswered += 1

    def _check_reachable(self, failure: Failure, next_delay: float) -> None:
        """Stop the run when the server cannot be reached at all, or has stopped answering.

        Never reached: after ``unreachable_after_s`` of trying (a refused connection, a wrong port, a server that
        never replies), not after every problem has used up its retries. Reached before: after ``max_unanswered``
        requests in a row without any response (a hung server would otherwise cost the full timeout per turn).
        """
        where = self._effective_base_url()
        if not self._reached and self._first_attempt is not None:
            waited = time.monotonic() - self._first_attempt
            if waited + next_delay > self.unreachable_after_s:
                raise FatalBackendError(
                    f"could not reach {where} ({failure.message}) in {waited:.0f} s: no request got a response; "
                    "check that the server is running and base_url= is right"
                )
        elif self._unanswered >= self.max_unanswered:
            raise FatalBackendError(
                f"the server at {where} stopped answering: {self._unanswered} requests in a row got no response "
                f"(last: {failure.message}); check the server, or raise timeout= / max_unanswered="
            )

    def _unreadable(self, conv: Conversation, exc: Exception) -> AssistantTurn:
        text = str(exc)
        text = text if len(text) <= 300 else text[:300] + "..."
        log.warning("%s: the reply could not be read: %s: %s", self._label(conv), type(exc).__name__, text)
        return self._error_turn(conv, f"the reply could not be read ({type(exc).__name__}: {text})")

    def _fatal_message(self, conv: Conversation, failure: Failure) -> str:
        where = f"{self._effective_base_url()} (model {self.model!r})"
        lead = f"{self.provider} refused {self._label(conv)} with HTTP {failure.status}: {failure.message}."
        if failure.status == 404:
            return f"{lead} The model or endpoint does not exist at {where}; check model= and base_url=."
        return (
            f"{lead} The API key came from {self.key_source} ({mask_key(self.api_key)}) and was sent to {where}. "
            f"Check that this key is valid for that endpoint and has quota, or pass api_key=... in --model_args."
        )

    async def _generate_all(self, convs: list[Conversation], on_result: ResultCallback | None) -> list[AssistantTurn]:
        # A client per turn: its connections live and die with this event loop.
        client = self._new_client()
        try:
            return await self._answer_all(client, convs, on_result)
        finally:
            if self.http_client is None:  # a client the caller passed in is the caller's to close
                await client.close()

    async def _answer_all(
        self, client: Any, convs: list[Conversation], on_result: ResultCallback | None
    ) -> list[AssistantTurn]:
        semaphore = asyncio.Semaphore(self.max_concurrency)
        gate = RateGate()
        results: list[AssistantTurn | None] = [None] * len(convs)
        with tqdm(
            total=len(convs), desc=f"{self.name}:{self.model}", unit="req", disable=not self.progress, leave=False
        ) as bar:

            async def answer(index: int, conv: Conversation) -> None:
                turn = await self._answer(client, conv, semaphore, gate, bar)
                results[index] = turn
                self._account(turn)
                if on_result is not None:
                    on_result(index, turn)
                bar.update(1)

            tasks = [asyncio.ensure_future(answer(i, conv)) for i, conv in enumerate(convs)]
            try:
                await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        return [turn for turn in results if turn is not None]

    def _account(self, turn: AssistantTurn) -> None:
        self.stats.turns += 1
        self.stats.failed += turn.error is not None
        self.stats.tokens_in += turn.tokens_in
        self.stats.tokens_out += turn.tokens_out
        self.stats.cost_usd += turn.cost_usd

    async def _answer(
        self, client: Any, conv: Conversation, semaphore: asyncio.Semaphore, gate: RateGate, bar: Any
    ) -> AssistantTurn:
        request = self._build_request(conv)
        attempts = self.retry.max_retries + 1
        for attempt in range(attempts):
            await gate.wait()
            async with semaphore:
                await gate.wait()
                self.stats.requests += 1
                if self._first_attempt is None:
                    self._first_attempt = time.monotonic()
                try:
                    response = await self._send(client, request)
                except Exception as exc:
                    failure = self._classify(exc)
                    self._note_response(failure is None or failure.status is not None)
                    if failure is None:  # not an API error (a body the SDK cannot decode): this request's alone
                        return self._unreadable(conv, exc)
                else:
                    self._note_response(True)
                    try:
                        return self._parse_response(conv, response)
                    except Exception as exc:  # a reply of an unexpected shape spoils its own conversation only
                        return self._unreadable(conv, exc)
            # Past here the request failed; the slot is free again while we wait.
            if failure.kind is FailureKind.FATAL:
                raise FatalBackendError(self._fatal_message(conv, failure))
            status = f"HTTP {failure.status}" if failure.status is not None else "no response"
            if failure.kind is FailureKind.PERMANENT:
                return self._error_turn(conv, f"{self.provider} rejected the request ({status}): {failure.message}")
            last = attempt == attempts - 1
            delay = 0.0 if last else self.retry.delay(attempt, failure.retry_after_s, self._rng)
            if failure.status is None:
                self._check_reachable(failure, delay)
            if last:
                return self._error_turn(
                    conv, f"gave up after {attempts} attempts; last error ({status}): {failure.message}"
                )
            if failure.status == 429 and failure.retry_after_s is not None:
                gate.hold(delay)
            self.stats.retries += 1
            bar.set_postfix(retries=self.stats.retries, refresh=False)
            log.debug("%s: %s (%s); retry %d in %.2f s", self._label(conv), failure.message, status, attempt + 1, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")
