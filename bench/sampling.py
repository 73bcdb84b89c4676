"""How to draw one reply: lm-eval's ``gen_kwargs`` parsed once into a typed ``Sampling``.

Every backend reads this one object, so a setting means the same on hf, vLLM, OpenAI and Anthropic
(the table in docs/backends.md, "Sampling"):

- greedy unless asked to sample: ``do_sample: false``, ``temperature: 0`` or neither given;
- ``do_sample: true`` without a temperature samples at 1.0 (the default of transformers, vLLM and both
  APIs), a temperature above 0 without ``do_sample`` samples at that temperature;
- ``top_p`` (nucleus) applies only when sampling; 1.0 keeps every token;
- ``until`` stops the reply before the first of its strings (the string is not part of the reply);
- ``max_gen_toks`` caps the reply's tokens; unset, the backend's own default holds;
- ``seed`` makes a sampled request repeatable: the same request with the same seed gets the same reply.

Dependency-free (a contract: the loop, the lm-eval glue, training and every backend import it).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

log = logging.getLogger(__name__)

GEN_KWARGS = ("max_gen_toks", "temperature", "do_sample", "top_p", "until", "seed")
DEFAULT_SAMPLE_TEMPERATURE = 1.0  # do_sample without a temperature
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Sampling:
    """One request's generation settings; frozen and hashable, so requests batch and cache by it.

    ``temperature`` 0 is greedy decoding. ``max_tokens`` None leaves the cap to the backend.
    """

    max_tokens: int | None = None
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.max_tokens is not None and (not _is_int(self.max_tokens) or self.max_tokens < 1):
            raise ValueError(f"max_gen_toks must be a whole number of at least 1, got {self.max_tokens!r}")
        if not _is_real(self.temperature) or not math.isfinite(self.temperature) or self.temperature < 0:
            raise ValueError(f"temperature must be a number of at least 0 (0 = greedy), got {self.temperature!r}")
        if not _is_real(self.top_p) or not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p!r}")
        if not isinstance(self.stop, tuple) or not all(isinstance(s, str) and s for s in self.stop):
            raise ValueError(f"stop must be a tuple of non-empty strings, got {self.stop!r}")
        if self.seed is not None and (not _is_int(self.seed) or not 0 <= self.seed <= MAX_SEED):
            raise ValueError(f"seed must be a whole number in [0, 2**63), got {self.seed!r}")
        object.__setattr__(self, "temperature", float(self.temperature))
        # top_p means nothing to greedy decoding: one spelling per meaning (the batch and cache keys).
        object.__setattr__(self, "top_p", 1.0 if self.greedy else float(self.top_p))

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    @classmethod
    def from_gen_kwargs(cls, gen_kwargs: Sampling | Mapping[str, Any] | None) -> Sampling:
        """Parse lm-eval ``gen_kwargs`` (or the loop's sampling dict); keys outside ``GEN_KWARGS`` are
        ignored with one warning. Strings are accepted where a command line would give them."""
        if isinstance(gen_kwargs, Sampling):
            return gen_kwargs
        kwargs = dict(gen_kwargs or {})
        ignored = sorted(set(kwargs) - set(GEN_KWARGS))
        if ignored:
            _warn_ignored(tuple(ignored))
        do_sample = kwargs.get("do_sample")
        do_sample = None if do_sample is None else parse_bool(do_sample, "do_sample")
        temperature = kwargs.get("temperature")
        temperature = None if temperature is None else _number(temperature, "temperature")
        if temperature is not None and temperature < 0:
            raise ValueError(f"temperature must be a number of at least 0 (0 = greedy), got {temperature!r}")
        if do_sample is False or (do_sample is None and not temperature):
            temperature = 0.0
        elif temperature is None:
            temperature = DEFAULT_SAMPLE_TEMPERATURE
        top_p = kwargs.get("top_p")
        until = kwargs.get("until")
        if until is None:
            stop: tuple[str, ...] = ()
        elif isinstance(until, str):
            stop = (until,) if until else ()
        elif isinstance(until, (list, tuple)) and all(isinstance(s, str) for s in until):
            stop = tuple(dict.fromkeys(s for s in until if s))
        else:
            raise ValueError(f"until must be a string or a list of strings, got {until!r}")
        max_tokens, seed = kwargs.get("max_gen_toks"), kwargs.get("seed")
        return cls(
            max_tokens=None if max_tokens is None else _whole(max_tokens, "max_gen_toks"),
            temperature=temperature,
            top_p=1.0 if top_p is None else _number(top_p, "top_p"),
            stop=stop,
            seed=None if seed is None else _whole(seed, "seed"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Field by field, for cache keys and records."""
        return asdict(self) | {"stop": list(self.stop)}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value: Any, name: str) -> int:
    if _is_int(value):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    raise ValueError(f"{name} must be a whole number, got {value!r}")


def _number(value: Any, name: str) -> float:
    if _is_real(value):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(f"{name} must be a number, got {value!r}")


def parse_bool(value: Any, name: str) -> bool:
    """A flag from Python or a command line (``true``/``1``/``yes``/``on`` and their opposites)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, got {value!r}")


@functools.cache
def _warn_ignored(keys: tuple[str, ...]) -> None:
    log.warning("toolwise ignores the generation arguments %s; it reads %s", list(keys), ", ".join(GEN_KWARGS))
