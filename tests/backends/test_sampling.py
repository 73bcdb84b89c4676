"""gen_kwargs mean one thing on every backend: parsed once into ``Sampling``, then mapped by each request builder.

The table below is docs/backends.md's "Sampling" table as data: each row of gen_kwargs goes through the hf
backend's ``generate`` arguments, vLLM's ``SamplingParams``, and the OpenAI and Anthropic request bodies
(the tiny Llama, a stand-in ``vllm`` module, no network).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backend_fakes import conversation, problems
from vllm_standin import TokenizerLLM, install

from toolwise.bench.backends import make_backend
from toolwise.bench.backends.hf import HFBackend
from toolwise.bench.sampling import Sampling

# gen_kwargs -> (max tokens, temperature, top_p or None when not sent, stop strings, seed or None when not sent)
TABLE: list[tuple[dict[str, Any], tuple[Any, ...], dict[str, tuple[Any, ...]]]] = [
    ({}, (1024, 0.0, None, [], None), {}),
    ({"do_sample": True}, (1024, 1.0, None, [], None), {}),  # the default of every engine, greedy on none
    ({"temperature": 0.7}, (1024, 0.7, None, [], None), {}),
    ({"do_sample": "false", "temperature": 0.7, "top_p": 0.9}, (1024, 0.0, None, [], None), {}),
    ({"do_sample": True, "temperature": 0}, (1024, 0.0, None, [], None), {}),
    ({"do_sample": True, "top_p": 1.0}, (1024, 1.0, None, [], None), {}),
    ({"until": "STOP", "max_gen_toks": "64"}, (64, 0.0, None, ["STOP"], None), {}),
    (
        {"max_gen_toks": 99, "do_sample": True, "temperature": 0.5, "top_p": 0.9, "until": ["END", "\n\n"], "seed": 5},
        (99, 0.5, 0.9, ["END", "\n\n"], 5),
        {"anthropic": (99, 0.5, 0.9, ["END"], None)},  # no seed; whitespace-only stops are rejected by the API
    ),
]


def hf_request(backend: HFBackend, sampling: Sampling) -> tuple[Any, ...]:
    kwargs = backend.generate_kwargs(sampling, [sampling.seed])
    assert kwargs["do_sample"] is False  # sampling is done by the processors, greedy search takes their draw
    processors = {type(p).__name__: p for p in kwargs.get("logits_processor", [])}
    temperature = processors["TemperatureLogitsWarper"].temperature if processors else 0.0
    top_p = processors["TopPLogitsWarper"].top_p if "TopPLogitsWarper" in processors else None
    seed = processors["RowDraws"].generators[0].initial_seed() if sampling.seed is not None else None
    return kwargs["max_new_tokens"], temperature, top_p, kwargs.get("stop_strings", []), seed


def vllm_request(backend: Any, sampling: Sampling) -> tuple[Any, ...]:
    params = backend.sampling_params(sampling).kwargs
    return params["max_tokens"], params["temperature"], params.get("top_p"), params["stop"], params.get("seed")


def openai_request(backend: Any, sampling: Sampling) -> tuple[Any, ...]:
    body = backend._build_request(conversation(problems(1)[0], sampling=sampling))  # type: ignore[arg-type]
    return body["max_tokens"], body["temperature"], body.get("top_p"), body.get("stop", []), body.get("seed")


def anthropic_request(backend: Any, sampling: Sampling) -> tuple[Any, ...]:
    body = backend._build_request(conversation(problems(1)[0], sampling=sampling))  # type: ignore[arg-type]
    params = body.get("extra_body", body)  # SDKs from 2.x take the sampling parameters in extra_body
    return body["max_tokens"], params["temperature"], params.get("top_p"), body.get("stop_sequences", []), None


@pytest.fixture(scope="module")
def backends(tiny_llama_dir: Path) -> Iterator[dict[str, Any]]:
    api = {"api_key": "test-key-0123456789", "cache": False, "progress": False}
    with pytest.MonkeyPatch.context() as patch:
        install(patch, TokenizerLLM)
        yield {
            "hf": (HFBackend(pretrained=str(tiny_llama_dir), device="cpu"), hf_request),
            "vllm": (make_backend("vllm", pretrained=str(tiny_llama_dir), cache=False), vllm_request),
            "openai": (make_backend("openai", model="gpt-4o", **api), openai_request),
            "anthropic": (make_backend("anthropic", model="claude-3-5-sonnet-20241022", **api), anthropic_request),
        }


@pytest.mark.parametrize(("gen_kwargs", "expected", "exceptions"), TABLE)
@pytest.mark.parametrize("name", ["hf", "vllm", "openai", "anthropic"])
def test_gen_kwargs_mean_the_same_on_every_backend(
    backends: dict[str, Any], name: str, gen_kwargs: dict, expected: tuple, exceptions: dict
) -> None:
    backend, request = backends[name]
    assert request(backend, Sampling.from_gen_kwargs(gen_kwargs)) == exceptions.get(name, expected)


@pytest.mark.parametrize(
    ("gen_kwargs", "message"),
    [
        ({"temperature": -0.1}, "temperature must be a number of at least 0"),
        ({"do_sample": False, "temperature": -1}, "temperature must be a number of at least 0"),
        ({"temperature": "warm"}, "temperature must be a number"),
        ({"do_sample": True, "top_p": 0}, r"top_p must be in \(0, 1\]"),
        ({"do_sample": True, "top_p": 1.5}, r"top_p must be in \(0, 1\]"),
        ({"max_gen_toks": 1.5}, "max_gen_toks must be a whole number"),
        ({"max_gen_toks": 0}, "max_gen_toks must be a whole number of at least 1"),
        ({"max_gen_toks": True}, "max_gen_toks must be a whole number"),
        ({"until": [1, 2]}, "until must be a string or a list of strings"),
        ({"do_sample": "maybe"}, "do_sample must be true or false"),
        ({"seed": -1}, r"seed must be a whole number in \[0, 2\*\*63\)"),
    ],
)
def test_bad_values_are_refused_with_what_is_wrong(gen_kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Sampling.from_gen_kwargs(gen_kwargs)


def test_one_spelling_per_meaning_so_requests_batch_and_cache_together() -> None:
    greedy = Sampling.from_gen_kwargs({"do_sample": False, "temperature": 0.7, "top_p": 0.5, "until": ["x", "", "x"]})
    assert greedy == Sampling.from_gen_kwargs({"until": "x"}) == Sampling(stop=("x",))
    assert len({greedy, Sampling(stop=("x",))}) == 1  # hashable, equal settings collapse
    with pytest.raises(AttributeError):
        greedy.temperature = 1.0  # type: ignore[misc]
    assert Sampling.from_gen_kwargs(greedy) is greedy


def test_unknown_gen_kwargs_are_ignored_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        assert Sampling.from_gen_kwargs({"top_k": 5, "max_gen_toks": 8}) == Sampling(max_tokens=8)
        Sampling.from_gen_kwargs({"top_k": 50})
    assert [r.getMessage() for r in caplog.records if "top_k" in r.getMessage()] == [
        "toolwise ignores the generation arguments ['top_k']; it reads max_gen_toks, temperature, do_sample, "
        "top_p, until, seed"
    ]
