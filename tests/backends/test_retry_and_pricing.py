"""Backoff arithmetic, error classification and the price table."""

from __future__ import annotations

import email.utils
import json
import random
import time

import pytest

from toolwise.bench.backends._retry import FailureKind, RetryPolicy, classify_status_error, parse_retry_after
from toolwise.bench.backends.pricing import DEFAULT_PRICES, Price, PriceTable, load_price_file


def test_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    policy = RetryPolicy(max_retries=8, base_delay_s=1.0, max_delay_s=10.0)
    rng = random.Random(0)
    for n, ceiling in enumerate([1, 2, 4, 8, 10, 10]):
        delays = [policy.delay(n, rng=rng) for _ in range(200)]
        assert ceiling / 2 <= min(delays) and max(delays) <= ceiling
        assert max(delays) - min(delays) > 0.3 * ceiling / 2  # really jittered


def test_retry_after_replaces_the_backoff_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=0.01, max_retry_after_s=30.0)
    rng = random.Random(1)
    waits = [policy.delay(0, retry_after_s=5.0, rng=rng) for _ in range(100)]
    assert min(waits) >= 5.0 and max(waits) <= 6.0
    assert policy.delay(0, retry_after_s=3600.0, rng=rng) <= 36.0


def test_retry_after_headers_in_seconds_milliseconds_and_dates() -> None:
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 18 <= parse_retry_after({"retry-after": date}) <= 20
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (429, {}, FailureKind.TRANSIENT),
        (500, {}, FailureKind.TRANSIENT),
        (503, {}, FailureKind.TRANSIENT),
        (529, {"type": "error", "error": {"type": "overloaded_error"}}, FailureKind.TRANSIENT),
        (408, {}, FailureKind.TRANSIENT),
        (400, {"error": {"message": "context too long"}}, FailureKind.PERMANENT),
        (422, {}, FailureKind.PERMANENT),
        (401, {}, FailureKind.FATAL),
        (403, {}, FailureKind.FATAL),
        (404, {}, FailureKind.FATAL),
        (429, {"error": {"code": "insufficient_quota"}}, FailureKind.FATAL),  # OpenAI: out of credit, not busy
    ],
)
def test_status_classification(status: int, body: dict, kind: FailureKind) -> None:
    assert classify_status_error(status, {}, body, "msg").kind is kind


def test_x_should_retry_overrides_the_status() -> None:
    assert classify_status_error(500, {"x-should-retry": "false"}, {}, "m").kind is FailureKind.PERMANENT
    assert classify_status_error(400, {"x-should-retry": "true"}, {}, "m").kind is FailureKind.TRANSIENT


def test_prices_match_snapshots_and_aliases_but_not_other_models() -> None:
    table = PriceTable()
    assert table.lookup("gpt-4o-2024-08-06") == table.lookup("gpt-4o") == Price(2.5, 10.0, 1.25)
    assert table.lookup("gpt-4o-2024-05-13") == Price(5.0, 15.0)  # its own, older price
    assert table.lookup("gpt-4o-mini-2024-07-18") == table.lookup("gpt-4o-mini")
    assert table.lookup("claude-3-5-sonnet-20241022") == table.lookup("claude-3-5-sonnet-latest") == Price(3.0, 15.0)
    assert table.lookup("claude-sonnet-4-5-20250929") == table.lookup("claude-sonnet-4-5")
    assert table.lookup("openai/gpt-4o") == table.lookup("gpt-4o")
    assert table.lookup("gpt-4o-audio-preview") is None
    assert table.lookup("Qwen/Qwen2.5-7B-Instruct") is None


def test_cost_arithmetic_with_cached_input() -> None:
    price = Price(input=2.5, output=10.0, cached_input=1.25)
    assert price.cost_usd(1_000_000, 0) == pytest.approx(2.5)
    assert price.cost_usd(0, 1_000_000) == pytest.approx(10.0)
    assert price.cost_usd(1000, 200, cached_in=400) == pytest.approx((600 * 2.5 + 400 * 1.25 + 200 * 10) / 1e6)
    assert Price(1.0, 1.0).cost_usd(100, 0, cached_in=100) == pytest.approx(100 / 1e6)  # no cached rate: full price


def test_every_default_price_is_valid() -> None:
    table = PriceTable()
    assert set(table.prices) == set(DEFAULT_PRICES)
    for price in table.prices.values():
        assert 0 < price.input <= price.output
        assert price.cached_input is None or price.cached_input < price.input


def test_user_price_files_and_inline_prices(tmp_path) -> None:  # type: ignore[no-untyped-def]
    as_json = tmp_path / "p.json"
    as_json.write_text(json.dumps({"gpt-4o": {"input": 1, "output": 2}, "mine": {"input": 0, "output": 0}}))
    table = PriceTable(load_price_file(as_json))
    assert table.lookup("gpt-4o-2024-11-20") == Price(1.0, 2.0)
    assert table.lookup("claude-3-opus") == Price(15.0, 75.0)  # defaults survive
    assert PriceTable.from_model_args("x", price_in=0.5, price_out=1.5).lookup("x") == Price(0.5, 1.5)
    with pytest.raises(ValueError, match="give both price_in and price_out"):
        PriceTable.from_model_args("x", price_in=0.5)
    bad = tmp_path / "bad.yaml"
    bad.write_text("m: {input: 1}\n")
    with pytest.raises(ValueError, match="needs 'input' and 'output'"):
        load_price_file(bad)
    bad.write_text("m: {input: 1, output: 2, cache: 1}\n")
    with pytest.raises(ValueError, match="unknown fields"):
        load_price_file(bad)
