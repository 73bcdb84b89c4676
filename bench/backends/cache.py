"""A disk cache of model responses, so a killed run resumes without repeating a finished request.

``CachedBackend`` wraps any backend. Each conversation's next turn is keyed by the full request:
the backend's identity (name, model, endpoint and anything else that shapes the response, from its
``cache_identity()``), the problem id and mode, the messages, the tool schemas and the ``Sampling``
(gen_kwargs that mean the same, e.g. ``until: "x"`` and ``until: ["x"]``, share a key). A hit returns
the stored turn exactly as it first came back (content, tool calls and their ids, tokens, cost), so
the rest of the conversation, and the results, repeat identically.
Each response is written the moment it arrives when the backend reports results one by one
(``generate(..., on_result=...)``), so a run killed mid-turn loses only the requests in flight.
Failed turns (``error`` set) are never stored: a restart tries them again.

The store is one sqlite file in WAL mode, safe for several processes at once (lm-eval
data-parallel ranks, two runs sharing a cache). Default location: ``$TOOLWISE_CACHE_DIR``, else
``$XDG_CACHE_HOME/toolwise``, else ``~/.cache/toolwise``; file ``responses.sqlite``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import sqlite3
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from toolwise.bench.backends.base import AssistantTurn, Backend, Conversation, ParsedToolCall
from toolwise.bench.errors import UsageError

log = logging.getLogger(__name__)

# Bump when the key or the stored turn changes meaning (2: backend-level max_tokens in the key; 3: the typed
# Sampling, under which do_sample without a temperature samples at 1.0 on vLLM too, where it was greedy).
CACHE_FORMAT = 3
CACHE_FILE = "responses.sqlite"


def default_cache_dir() -> Path:
    """Where responses are cached unless ``cache_dir=`` says otherwise."""
    if os.environ.get("TOOLWISE_CACHE_DIR"):
        return Path(os.environ["TOOLWISE_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "toolwise"


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces (the cache key must not depend on dict order)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def backend_identity(backend: Any) -> dict[str, Any]:
    """What identifies a backend's responses: its ``cache_identity()``.

    A backend without one is refused: a cache keyed on its name alone would hand one model's replies to
    another (the hf backend's ``model`` is the loaded network, not its name).
    """
    if hasattr(backend, "cache_identity"):
        return dict(backend.cache_identity())
    raise UsageError(
        f"backend {getattr(backend, 'name', type(backend).__name__)!r} cannot be cached (it says nothing of what "
        "its replies depend on); pass cache=false"
    )


def request_key(identity: dict[str, Any], conv: Conversation) -> str:
    """The cache key of a conversation's next turn under a backend identity."""
    payload = {
        "format": CACHE_FORMAT,
        "backend": identity,
        "problem": conv.problem.id,
        "mode": conv.mode,
        "messages": conv.messages,
        "tools": conv.tools,
        "sampling": conv.sampling.to_dict(),
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def turn_to_json(turn: AssistantTurn) -> str:
    # Lone surrogates cannot be stored as UTF-8; as JSON escapes they survive the round trip.
    text = json.dumps(asdict(turn), ensure_ascii=False, default=str)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def turn_from_json(text: str) -> AssistantTurn:
    data = json.loads(text)
    data["tool_calls"] = [ParsedToolCall(**call) for call in data.get("tool_calls", [])]
    return AssistantTurn(**data)


class ResponseCache:
    """Key -> AssistantTurn in a sqlite file; every write commits at once."""

    def __init__(self, path: str | Path | None = None) -> None:
        path = Path(path).expanduser() if path is not None else default_cache_dir() / CACHE_FILE
        if path.is_dir() or (not path.suffix and not path.exists()):
            path = path / CACHE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        try:
            # autocommit (isolation_level=None): each INSERT is its own durable transaction
            self._db = sqlite3.connect(path, timeout=60.0, isolation_level=None, check_same_thread=False)
            with self._lock:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, backend TEXT, model TEXT, "
                    "problem_id TEXT, mode TEXT, created REAL, turn TEXT NOT NULL)"
                )
                self._db.execute("SELECT key, turn FROM responses LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise UsageError(
                f"the response cache {path} cannot be read ({exc}): it is not a toolwise cache or it is damaged; "
                "delete it, or pass cache_dir=<another folder> or cache=false in --model_args"
            ) from None

    def get_many(self, keys: list[str]) -> dict[str, AssistantTurn]:
        found: dict[str, AssistantTurn] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(unique), 500):  # stay under sqlite's bound-parameter limit
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, turn FROM responses WHERE key IN ({marks})", chunk).fetchall()
                found.update((key, turn_from_json(turn)) for key, turn in rows)
        return found

    def put(self, key: str, turn: AssistantTurn, identity: dict[str, Any], conv: Conversation) -> None:
        row = (
            key,
            str(identity.get("backend")),
            str(identity.get("model")),
            conv.problem.id,
            conv.mode,
            time.time(),
            turn_to_json(turn),
        )
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _accepts_on_result(backend: Any) -> bool:
    try:
        return "on_result" in inspect.signature(backend.generate).parameters
    except (TypeError, ValueError):
        return False


class CachedBackend:
    """Any backend, with its responses cached on disk; everything else is the inner backend's."""

    def __init__(self, inner: Backend, cache: ResponseCache | str | Path | None = None) -> None:
        self.inner = inner
        self.cache = cache if isinstance(cache, ResponseCache) else ResponseCache(cache)
        self.hits = 0
        self.misses = 0

    @property
    def name(self) -> str:
        return self.inner.name

    def __getattr__(self, attribute: str) -> Any:
        # Only called for attributes not found here: rank, world_size, tokenizer, stats, ...
        if attribute == "inner":
            raise AttributeError(attribute)
        return getattr(self.inner, attribute)

    def generate(self, conversations: list[Conversation], on_result: Any = None) -> list[AssistantTurn]:
        """Stored turns for the requests seen before; the inner backend answers (and we store) the rest."""
        identity = backend_identity(self.inner)
        keys = [request_key(identity, conv) for conv in conversations]
        stored = self.cache.get_many(keys)
        results: list[AssistantTurn | None] = [stored.get(key) for key in keys]
        missing = [i for i, turn in enumerate(results) if turn is None]
        self.hits += len(conversations) - len(missing)
        self.misses += len(missing)
        if stored:
            log.info(
                "response cache %s: %d of %d requests already answered",
                self.cache.path,
                len(conversations) - len(missing),
                len(conversations),
            )
        if on_result is not None:
            for i, turn in enumerate(results):
                if turn is not None:
                    on_result(i, turn)
        if not missing:
            return [turn for turn in results if turn is not None]

        def store(j: int, turn: AssistantTurn) -> None:
            i = missing[j]
            results[i] = turn
            if turn.error is None:
                self.cache.put(keys[i], turn, identity, conversations[i])
            if on_result is not None:
                on_result(i, turn)

        todo = [conversations[i] for i in missing]
        if _accepts_on_result(self.inner):
            self.inner.generate(todo, on_result=store)
        else:
            for j, turn in enumerate(self.inner.generate(todo)):
                store(j, turn)
        if any(turn is None for turn in results):
            raise RuntimeError(f"backend {self.name} returned fewer turns than conversations")
        return [turn for turn in results if turn is not None]

    def close(self) -> None:
        self.cache.close()
        if hasattr(self.inner, "close"):
            self.inner.close()
