"""Which API failures to retry, how long to wait, and which ones must stop the run.

Shared by the OpenAI and Anthropic backends, whose SDK errors look alike: a
status error carries ``status_code``, ``response.headers`` and a ``body``; a
connection error (timeouts included) carries neither.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})  # plus every 5xx (529 is Anthropic's "overloaded")
FATAL_STATUSES = frozenset({401, 402, 403, 404})  # every request would fail the same way: stop the run
FATAL_ERROR_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached", "invalid_api_key"})


class FatalBackendError(RuntimeError):
    """A failure no other request can escape (wrong key, no quota, unknown model): the run must stop."""


class FailureKind(Enum):
    TRANSIENT = "transient"  # retry after a pause
    PERMANENT = "permanent"  # this request is wrong; record it as this conversation's failure
    FATAL = "fatal"  # every request will fail; stop the run


@dataclass(frozen=True)
class Failure:
    """An API error sorted into what to do about it."""

    kind: FailureKind
    status: int | None
    message: str
    retry_after_s: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, honouring the server's ``Retry-After``.

    The n-th retry (n = 0, 1, ...) waits ``min(max_delay_s, base_delay_s * 2**n)``, of which the
    upper half is random ("equal jitter": never less than half, so a herd of retries spreads out
    without collapsing to zero). A ``Retry-After`` from the server replaces the backoff, stretched
    by up to 20 % of jitter and capped at ``max_retry_after_s``.
    """

    max_retries: int = 6
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    max_retry_after_s: float = 300.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base_delay_s < 0 or self.max_delay_s < 0 or self.max_retry_after_s < 0:
            raise ValueError(f"retry settings must be non-negative, got {self}")

    def delay(self, retry_index: int, retry_after_s: float | None = None, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry_index`` (0 = the first retry)."""
        rng = rng or random
        if retry_after_s is not None:
            wait = min(retry_after_s, self.max_retry_after_s)
            return wait * (1.0 + 0.2 * rng.random())
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0**retry_index)
        return ceiling / 2.0 + rng.random() * ceiling / 2.0


def parse_retry_after(headers: Any) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, or ``retry-after`` as seconds or an HTTP date."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_code(body: Any) -> str | None:
    """The provider's machine-readable error code or type, if the body has one."""
    if not isinstance(body, dict):
        return None
    inner = body.get("error", body)
    if isinstance(inner, dict):
        return inner.get("code") or inner.get("type")
    return None


def classify_status_error(status: int, headers: Any, body: Any, message: str) -> Failure:
    """Sort an HTTP error status into transient, permanent or fatal."""
    retry_after = parse_retry_after(headers)
    code = _error_code(body)
    if status in FATAL_STATUSES or code in FATAL_ERROR_CODES:
        return Failure(FailureKind.FATAL, status, message)
    should_retry = headers.get("x-should-retry") if headers is not None else None
    if should_retry == "false":
        return Failure(FailureKind.PERMANENT, status, message)
    if should_retry == "true" or status in TRANSIENT_STATUSES or status >= 500:
        return Failure(FailureKind.TRANSIENT, status, message, retry_after)
    return Failure(FailureKind.PERMANENT, status, message)


class RateGate:
    """A shared 'not before' time: one 429 with ``Retry-After`` pauses every request of the batch.

    Without it, the other requests in flight keep hitting a rate-limited endpoint and each earns
    its own 429.
    """

    def __init__(self) -> None:
        self._not_before = 0.0

    def hold(self, seconds: float) -> None:
        self._not_before = max(self._not_before, time.monotonic() + seconds)

    async def wait(self) -> None:
        while (remaining := self._not_before - time.monotonic()) > 0:
            await asyncio.sleep(remaining)
