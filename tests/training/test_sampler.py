"""The pipeline's sampling on vLLM (a stand-in ``vllm`` module) sends what the hf path sends, and auto falls back."""

from __future__ import annotations

import dataclasses
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest
from train_helpers import train_problems
from vllm_standin import SamplingParams, TokenizerLLM, install

from toolwise.bench.backends.base import AssistantTurn, Conversation
from toolwise.bench.backends.hf import HFBackend
from toolwise.bench.backends.vllm_engine import VLLMBackend
from toolwise.bench.sampling import Sampling
from toolwise.training import Pipeline, build_config
from toolwise.training.config import TUAConfig, WKDConfig
from toolwise.training.pipeline import default_teacher
from toolwise.training.sampling import resolve_sampler, sampler_backend
from toolwise.training.tua import difficulty_split
from toolwise.training.wkd import open_proposals

REPLY = "So the answer is A"


class RecordingLLM(TokenizerLLM):
    """``vllm.LLM``: records each prompt's token ids and sampling parameters, replies ``REPLY``."""

    built: ClassVar[list[RecordingLLM]] = []

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: list[tuple[list[int], dict[str, Any]]] = []
        RecordingLLM.built.append(self)

    def generate(self, prompts: list[dict], params: list[SamplingParams], **_: Any) -> list[Any]:
        outputs = []
        for prompt, sampling in zip(prompts, params, strict=True):
            self.sent.append((prompt["prompt_token_ids"], sampling.kwargs))
            ids = self.tokenizer.encode(REPLY, add_special_tokens=False)
            completion = types.SimpleNamespace(text=REPLY, token_ids=ids, finish_reason="stop")
            outputs.append(types.SimpleNamespace(outputs=[completion]))
        return outputs


@pytest.fixture
def stub_vllm(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    RecordingLLM.built.clear()
    return install(monkeypatch, RecordingLLM)


def _hf_recorder(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[int], Sampling]]:
    """The hf backend's rendered prompts (as token ids) and sampling options, replying ``REPLY`` without a model."""
    sent: list[tuple[list[int], Sampling]] = []

    def generate(self: HFBackend, conversations: list[Conversation]) -> list[AssistantTurn]:
        for conv in conversations:
            ids = self.tokenizer(self.render(conv), add_special_tokens=False)["input_ids"]
            sent.append((ids, conv.sampling))
        return [AssistantTurn(content=REPLY) for _ in conversations]

    monkeypatch.setattr(HFBackend, "generate", generate)
    return sent


def _sample_both_stages(model: Path, sampler: str) -> None:
    problems = train_problems(2, n_open=2)
    tua = TUAConfig(k_samples=2, sample_temperature=0.7, sample_max_gen_toks=12)
    wkd = WKDConfig(n_proposals=2, proposal_temperature=0.9, proposal_max_gen_toks=20)
    with sampler_backend(str(model), batch_size=4, device="cpu", max_gen_toks=20, sampler=sampler) as backend:
        difficulty_split(problems, backend, tua, progress=False)
        open_proposals(problems, backend, wkd, progress=False)


def test_tua_samples_and_dpo_proposals_send_the_same_prompts_and_sampling_on_vllm_as_on_hf(
    stub_vllm: types.ModuleType, tiny_llama_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hf_sent = _hf_recorder(monkeypatch)
    _sample_both_stages(tiny_llama_dir, "hf")
    _sample_both_stages(tiny_llama_dir, "vllm")
    (llm,) = RecordingLLM.built
    assert len(hf_sent) == len(llm.sent) == 4 * 2 + 2 * 2  # k=2 direct answers per question, 2 proposals per open one
    assert sorted(ids for ids, _ in llm.sent) == sorted(ids for ids, _ in hf_sent)
    # the same options, in vLLM's names: TUA's difficulty samples, then the open questions' DPO proposals
    hf_options = sorted((s.temperature, s.max_tokens, not s.greedy) for _, s in hf_sent)
    vllm_options = sorted((p["temperature"], p["max_tokens"], True) for _, p in llm.sent)
    assert hf_options == vllm_options == [(0.7, 12, True)] * 8 + [(0.9, 20, True)] * 4
    assert not llm.kwargs.get("enable_lora")


def test_auto_is_vllm_when_importable_and_hf_otherwise(
    stub_vllm: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_sampler("auto") == "vllm" and resolve_sampler("hf") == "hf"
    monkeypatch.setitem(sys.modules, "vllm", None)  # what `import vllm` failing looks like
    assert resolve_sampler("auto") == "hf" and resolve_sampler("vllm") == "vllm"
    with pytest.raises(ValueError, match="auto, hf or vllm"):
        resolve_sampler("llamacpp")


def test_the_pipeline_samples_on_hf_when_vllm_is_missing(
    tiny_llama_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)
    config = build_config(None, {"base": str(tiny_llama_dir), "out": str(tmp_path), "device": "cpu"})
    assert config.sampler == "auto"
    with Pipeline(config, progress=False).sampler_factory(str(tiny_llama_dir)) as backend:
        assert isinstance(backend, HFBackend) and not isinstance(backend, VLLMBackend)
    assert default_teacher(build_config(None, {"base": str(tiny_llama_dir), "collect.teacher": "hf"})).name == "hf"


def test_a_model_teacher_and_the_samplers_run_on_vllm_when_asked(
    stub_vllm: types.ModuleType, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    overrides = {"base": str(tiny_llama_dir), "out": str(tmp_path), "sampler": "vllm", "collect.teacher": "hf"}
    config = build_config(None, overrides)
    teacher = default_teacher(config)
    assert isinstance(teacher, VLLMBackend) and teacher.pretrained == str(tiny_llama_dir)
    with Pipeline(config, progress=False).sampler_factory(str(tiny_llama_dir)) as backend:
        assert isinstance(backend, VLLMBackend)
    # the engine is how a stage samples, not what it means: switching it keeps a run resumable
    assert config.fingerprint("tua") == dataclasses.replace(config, sampler="hf").fingerprint("tua")
