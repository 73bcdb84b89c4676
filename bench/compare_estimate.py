"""What one model x task of a comparison will cost before it runs: tokens, dollars, wall time.

Input tokens are the opening prompts of both modes (no tools; tools offered, with the tool schemas),
counted with the model's own tokenizer where there is one (``hf`` and ``vllm``: the checkpoint's tokenizer
and chat template), otherwise estimated at ``ASSUMED["chars_per_token"]`` characters of the request's JSON
per token (OpenAI's rule of thumb for English). Each tool round adds the conversation so far once more.
Output tokens are the task's budget (``max_gen_toks``, or the backend's ``max_tokens``) per turn, an upper
bound. Where a finished run of the same model on the same task is known (a pilot with ``--limit``, an
earlier repeat), its measured per-problem tokens, tool rate and seconds replace the assumptions. Dollars
come from the API backends' price table (``bench/backends/pricing.py``; ``prices=``/``price_in=``/
``price_out=`` in the model's arguments override it); local and scripted models cost nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from toolwise.bench.backends.pricing import PriceTable
from toolwise.bench.problem import Problem
from toolwise.bench.prompts import opening_messages

API_BACKENDS = frozenset({"openai", "anthropic"})
ENGINE_BACKENDS = frozenset({"hf", "vllm"})
# The assumptions of an estimate without a measured run; each is replaced by the measured value when known.
ASSUMED: dict[str, float] = {
    "chars_per_token": 4.0,  # request JSON characters per token where no tokenizer is at hand
    "tool_rate": 0.5,  # share of problems that make one tool round when tools are offered
    "tool_result_tokens": 150.0,  # a tool call and its result added to the conversation
    "api_seconds_per_request": 1.0,  # latency of one API request before its first token
    "api_tokens_per_second": 50.0,  # output tokens per second of one API request
    "local_tokens_per_second": 20.0,  # output tokens per second of a local engine (all problems of a batch)
}
DEFAULT_OUTPUT_BUDGET = 1024  # the shared task template's max_gen_toks


@dataclass(frozen=True)
class Measured:
    """Per-problem averages of a finished run of the same model on the same task."""

    tokens_in: float
    tokens_out: float
    seconds: float
    tool_rate: float


@dataclass(frozen=True)
class Estimate:
    """One model x task x repeat before it runs."""

    problems: int
    tokens_in: int
    tokens_out: int  # the budget (an upper bound) unless measured
    cost_usd: float | None  # None: an API model with no known price
    seconds: float
    basis: str  # "measured" | "tokenizer" | "estimate" (chars/4) | "scripted"
    schema_tokens: int = 0  # the part of tokens_in that is the tool schemas (APIs bill them; some servers do not)

    def row(self) -> dict[str, Any]:
        return {
            "problems": self.problems,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_usd": self.cost_usd,
            "seconds": round(self.seconds, 1),
            "basis": self.basis,
        }


def _tool_schemas(problem: Problem) -> list[dict[str, Any]]:
    from toolwise.tools import get_tool

    schemas = []
    for name in problem.tools:
        try:
            schemas.append(get_tool(name).schema())
        except Exception:  # a tool whose module is not imported: its schema is not counted
            continue
    return schemas


class PromptCounter:
    """Counts the opening prompt of a conversation: the model's tokenizer and template, else characters / 4."""

    def __init__(self, backend: str, args: dict[str, str]) -> None:
        self.tokenizer: Any = None
        self.basis = "estimate"
        name = args.get("pretrained") or (args.get("model") if backend == "vllm" else None)
        if backend in ENGINE_BACKENDS and name:
            try:
                from transformers import AutoTokenizer

                self.tokenizer = AutoTokenizer.from_pretrained(name, gguf_file=args.get("gguf_file"))
                self.basis = "tokenizer"
            except Exception:  # no tokenizer at hand (offline, a GGUF without gguf installed): estimate
                self.tokenizer = None

    def count(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int:
        if self.tokenizer is not None and getattr(self.tokenizer, "chat_template", None):
            try:
                text = self.tokenizer.apply_chat_template(
                    messages, tools=tools, add_generation_prompt=True, tokenize=False
                )
                return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])
            except Exception:
                pass
        text = json.dumps(messages, ensure_ascii=False) + (json.dumps(tools, ensure_ascii=False) if tools else "")
        return math.ceil(len(text) / ASSUMED["chars_per_token"])


def output_budget(args: dict[str, str], gen_kwargs: dict[str, str], task_budget: int | None) -> int:
    """Tokens one turn may write: the backend's max_tokens, else --gen_kwargs max_gen_toks, else the task's."""
    for value in (args.get("max_tokens"), gen_kwargs.get("max_gen_toks"), task_budget):
        if value not in (None, ""):
            return int(value)
    return DEFAULT_OUTPUT_BUDGET


def price_of(backend: str, args: dict[str, str]) -> Any:
    """The price of an API model (None when unknown); local and scripted models are free (a zero price)."""
    from toolwise.bench.backends.pricing import Price

    if backend not in API_BACKENDS:
        return Price(0.0, 0.0)
    price_in, price_out = args.get("price_in"), args.get("price_out")
    table = PriceTable.from_model_args(
        args.get("model", ""),
        args.get("prices"),
        float(price_in) if price_in else None,
        float(price_out) if price_out else None,
    )
    return table.lookup(args.get("model", ""))


def estimate(
    backend: str,
    args: dict[str, str],
    problems: list[Problem],
    budget: int,
    counter: PromptCounter | None,
    measured: Measured | None = None,
) -> Estimate:
    """The estimate of one run of ``problems`` (already limited) on one model."""
    n = len(problems)
    price = price_of(backend, args)
    concurrency = max(1, int(args.get("max_concurrency", 8)))
    if backend not in API_BACKENDS | ENGINE_BACKENDS:  # scripted policies: no tokens, no time worth counting
        return Estimate(n, 0, 0, 0.0, 0.0, "scripted")
    schema_tokens = 0
    if measured is not None:
        tokens_in, tokens_out = round(measured.tokens_in * n), round(measured.tokens_out * n)
        seconds, basis = measured.seconds * n, "measured"
        tool_rate = measured.tool_rate
    else:
        counter = counter or PromptCounter(backend, args)
        tool_rate = ASSUMED["tool_rate"]
        tokens_in = schema_tokens = 0.0
        for problem in problems:
            plain = counter.count(opening_messages(problem, "no_tool"), None)
            choice = opening_messages(problem, "choice")
            offered = counter.count(choice, _tool_schemas(problem) or None)
            tokens_in += plain + offered + tool_rate * (offered + ASSUMED["tool_result_tokens"])
            schema_tokens += (1 + tool_rate) * (offered - counter.count(choice, None))
        tokens_in, schema_tokens = round(tokens_in), round(schema_tokens)
        turns = n * (2 + tool_rate)
        tokens_out = round(budget * turns)
        basis = counter.basis
        if backend in API_BACKENDS:
            per_request = ASSUMED["api_seconds_per_request"] + budget / ASSUMED["api_tokens_per_second"]
            seconds = turns * per_request / concurrency
        else:
            seconds = tokens_out / ASSUMED["local_tokens_per_second"]
    cost = None if price is None else price.cost_usd(tokens_in, tokens_out)
    return Estimate(n, tokens_in, tokens_out, cost, seconds, basis, schema_tokens)
