"""What API tokens cost: a small price table, overridable by the user, and the cost of one turn.

Prices are US dollars per million tokens, as published on the providers' pricing pages
(https://openai.com/api/pricing, https://www.anthropic.com/pricing) for standard, non-batch,
non-priority requests. They change: check them before quoting a cost, and override them with
``prices=FILE`` (JSON or YAML, same shape as ``DEFAULT_PRICES``) or ``price_in=`` /
``price_out=`` in ``--model_args``. Cached-input prices apply to the prompt tokens the provider
reports as served from its prompt cache (OpenAI's automatic caching); without one, cached tokens
are charged at the input price. A model with no price costs 0 and is reported as unpriced.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRICES_AS_OF = "2025-08"  # list prices as of this date; newer models and price changes need an override


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input: float
    output: float
    cached_input: float | None = None

    def cost_usd(self, tokens_in: int, tokens_out: int, cached_in: int = 0) -> float:
        cached_in = min(max(cached_in, 0), tokens_in)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        dollars = (tokens_in - cached_in) * self.input + cached_in * cached_rate + tokens_out * self.output
        return dollars / 1e6


DEFAULT_PRICES: dict[str, dict[str, float]] = {
    # OpenAI. The paper's API model is gpt-4o.
    "gpt-4o": {"input": 2.50, "output": 10.00, "cached_input": 1.25},
    "gpt-4o-2024-05-13": {"input": 5.00, "output": 15.00},
    "gpt-4o-mini": {"input": 0.15, "output": 0.60, "cached_input": 0.075},
    "gpt-4.1": {"input": 2.00, "output": 8.00, "cached_input": 0.50},
    "gpt-4.1-mini": {"input": 0.40, "output": 1.60, "cached_input": 0.10},
    "gpt-4.1-nano": {"input": 0.10, "output": 0.40, "cached_input": 0.025},
    "gpt-4-turbo": {"input": 10.00, "output": 30.00},
    "gpt-3.5-turbo": {"input": 0.50, "output": 1.50},
    "gpt-5": {"input": 1.25, "output": 10.00, "cached_input": 0.125},
    "gpt-5-mini": {"input": 0.25, "output": 2.00, "cached_input": 0.025},
    "gpt-5-nano": {"input": 0.05, "output": 0.40, "cached_input": 0.005},
    "o1": {"input": 15.00, "output": 60.00, "cached_input": 7.50},
    "o3": {"input": 2.00, "output": 8.00, "cached_input": 0.50},
    "o3-mini": {"input": 1.10, "output": 4.40, "cached_input": 0.55},
    "o4-mini": {"input": 1.10, "output": 4.40, "cached_input": 0.275},
    # Anthropic. The paper's API model is Claude 3.5 Sonnet.
    "claude-3-5-sonnet": {"input": 3.00, "output": 15.00},
    "claude-3-7-sonnet": {"input": 3.00, "output": 15.00},
    "claude-sonnet-4": {"input": 3.00, "output": 15.00},
    "claude-sonnet-4-5": {"input": 3.00, "output": 15.00},
    "claude-3-5-haiku": {"input": 0.80, "output": 4.00},
    "claude-3-haiku": {"input": 0.25, "output": 1.25},
    "claude-haiku-4-5": {"input": 1.00, "output": 5.00},
    "claude-3-opus": {"input": 15.00, "output": 75.00},
    "claude-opus-4": {"input": 15.00, "output": 75.00},
    "claude-opus-4-1": {"input": 15.00, "output": 75.00},
}

# A dated snapshot or alias of a listed model costs what the model costs: gpt-4o-2024-08-06,
# claude-3-5-sonnet-20241022, claude-3-5-sonnet-latest. Nothing else matches by prefix, so
# gpt-4o-mini never falls back to gpt-4o's price.
_SNAPSHOT_SUFFIX = re.compile(r"^-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$")


def _parse_price(model: str, entry: Any) -> Price:
    if not isinstance(entry, dict) or not {"input", "output"} <= set(entry):
        raise ValueError(f"price for {model!r} needs 'input' and 'output' (USD per million tokens), got {entry!r}")
    unknown = set(entry) - {"input", "output", "cached_input"}
    if unknown:
        raise ValueError(f"price for {model!r}: unknown fields {sorted(unknown)} (use input, output, cached_input)")
    values = {key: float(value) for key, value in entry.items() if value is not None}
    if any(value < 0 for value in values.values()):
        raise ValueError(f"price for {model!r} must be non-negative, got {entry!r}")
    return Price(**values)


def load_price_file(path: str | Path) -> dict[str, Price]:
    """Read a user's price table: ``{model: {input, output[, cached_input]}}`` as JSON or YAML."""
    path = Path(path).expanduser()
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a price table maps model names to prices, got {type(data).__name__}")
    return {str(model): _parse_price(model, entry) for model, entry in data.items()}


class PriceTable:
    """The default prices, updated by the user's; looks a model up by name, snapshot or alias."""

    def __init__(self, overrides: dict[str, Price] | None = None) -> None:
        self.prices = {model: _parse_price(model, entry) for model, entry in DEFAULT_PRICES.items()}
        self.prices.update(overrides or {})

    @classmethod
    def from_model_args(
        cls, model: str, prices: str | None = None, price_in: float | None = None, price_out: float | None = None
    ) -> PriceTable:
        """Build the table from ``prices=FILE`` and/or ``price_in=``/``price_out=`` for ``model``."""
        table = cls(load_price_file(prices) if prices else None)
        if (price_in is None) != (price_out is None):
            raise ValueError("give both price_in and price_out (USD per million tokens), or neither")
        if price_in is not None and price_out is not None:
            table.prices[model] = _parse_price(model, {"input": price_in, "output": price_out})
        return table

    def lookup(self, model: str) -> Price | None:
        """The price of ``model``; a provider prefix (``openai/gpt-4o``) and a snapshot suffix are ignored."""
        for name in (model, model.rsplit("/", 1)[-1]):
            if name in self.prices:
                return self.prices[name]
            for listed in sorted(self.prices, key=len, reverse=True):
                if name.startswith(listed) and _SNAPSHOT_SUFFIX.match(name[len(listed) :]):
                    return self.prices[listed]
        return None
