"""``backend=hf``: a transformers model with its chat template, batched per turn.

Loading is ordinary transformers code (a hub id or a local path in
``pretrained``; ``gguf_file`` for GGUF checkpoints; ``peft`` for an adapter).
Prompts are rendered with ``apply_chat_template(..., tools=...)``; a template
that ignores ``tools=`` gets the schemas in the system prompt instead (see
``tool_parsing``). Generation is batched with left padding; replies are
decoded with special tokens kept, since several families mark tool calls with
special tokens.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

import torch
from tqdm.auto import tqdm
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerBase

from toolwise.bench.backends._model_identity import neutralise_tool_messages, special_tokens, weights_fingerprint
from toolwise.bench.backends.base import AssistantTurn, Conversation
from toolwise.bench.backends.tool_parsing import (
    PROBE_TOOL,
    calls_from_parsed_message,
    parse_tool_calls,
    text_fallback_messages,
)

log = logging.getLogger(__name__)

# End-of-turn markers of common chat families; generation stops at any that the vocabulary has.
END_OF_TURN_TOKENS = ("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "</s>", "<|endoftext|>")


def resolve_device(device: str | None) -> str:
    if device in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        log.warning("device %s requested but CUDA is not available; using cpu", device)
        return "cpu"
    return str(device)


def template_takes_tools(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Does the chat template render the ``tools`` it is given?"""
    messages = [{"role": "user", "content": "hi"}]
    try:
        with_tools = tokenizer.apply_chat_template(messages, tools=[PROBE_TOOL], tokenize=False)
    except Exception:
        return False
    return "probe_tool_xyz" in str(with_tools)


def attach_response_parser(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Give the tokenizer a response template (trl knows the common families); True if it has one."""
    if getattr(tokenizer, "response_template", None) or getattr(tokenizer, "response_schema", None):
        return True
    try:
        from trl.chat_template_utils import add_response_schema

        add_response_schema(tokenizer)
    except Exception:  # trl missing or template unknown: the text fallback parser is used
        return False
    return bool(getattr(tokenizer, "response_template", None) or getattr(tokenizer, "response_schema", None))


class HFBackend:
    """A local transformers model."""

    name = "hf"

    def __init__(
        self,
        pretrained: str,
        revision: str | None = None,
        dtype: str = "auto",
        device: str | None = None,
        batch_size: int | str = 8,
        gguf_file: str | None = None,
        peft: str | None = None,
        trust_remote_code: bool = False,
        chat_template: str | None = None,
        tool_format: str = "auto",
        max_gen_toks: int = 1024,
    ) -> None:
        if tool_format not in ("auto", "native", "json"):
            raise ValueError("tool_format must be auto, native or json")
        self.device = resolve_device(device)
        self.batch_size = 8 if str(batch_size).startswith("auto") else int(batch_size)
        self.default_max_gen_toks = int(max_gen_toks)
        if pretrained.startswith(("/", "./", "../", "~")) and not os.path.exists(os.path.expanduser(pretrained)):
            raise FileNotFoundError(f"pretrained={pretrained}: no such folder (give a local model folder or a hub id)")
        load_kwargs: dict[str, Any] = {"revision": revision, "trust_remote_code": trust_remote_code}
        if gguf_file:
            load_kwargs["gguf_file"] = gguf_file
        self.tokenizer = AutoTokenizer.from_pretrained(pretrained, **load_kwargs)
        if chat_template:
            self.tokenizer.chat_template = _read_template(chat_template)
        if self.tokenizer.chat_template is None:
            raise ValueError(f"{pretrained} has no chat template; pass chat_template=<path to a .jinja file>")
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
        self.model = AutoModelForCausalLM.from_pretrained(pretrained, dtype=torch_dtype, **load_kwargs)
        if peft:
            from peft import PeftModel

            self.model = PeftModel.from_pretrained(self.model, peft)
        self.model.to(self.device).eval()
        takes_tools = template_takes_tools(self.tokenizer)
        self.native_tools = takes_tools if tool_format == "auto" else tool_format == "native"
        self.structured_parser = self.native_tools and attach_response_parser(self.tokenizer)
        self.stop_token_ids = self._stop_token_ids()
        self.special_tokens = special_tokens(self.tokenizer)
        self._identity = {
            "backend": self.name,
            "model": pretrained,
            "weights": weights_fingerprint(pretrained, revision, gguf_file, self.model),
            "peft": weights_fingerprint(peft) if peft else None,
            "dtype": str(dtype),
            "chat_template": hashlib.sha256(str(self.tokenizer.chat_template).encode()).hexdigest()[:16],
            "tool_format": tool_format,
            "max_gen_toks": self.default_max_gen_toks,
        }
        log.info(
            "hf backend: %s on %s, native tools=%s, response parser=%s",
            pretrained,
            self.device,
            self.native_tools,
            self.structured_parser,
        )

    def _stop_token_ids(self) -> list[int]:
        ids = set()
        eos = self.model.generation_config.eos_token_id
        ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        vocab = self.tokenizer.get_vocab()
        ids.update(vocab[t] for t in END_OF_TURN_TOKENS if t in vocab)
        return sorted(ids)

    def cache_identity(self) -> dict[str, Any]:
        """What the replies depend on besides the conversation: the weights (not only their name), the template."""
        return dict(self._identity)

    # Rendering -----------------------------------------------------------------------------------------------
    def render(self, conversation: Conversation) -> str:
        """The prompt text for a conversation, ending with the assistant generation prefix.

        Special tokens in tool results are defused first: a tool printing ``<|im_start|>`` must not open a turn.
        """
        messages, tools = chat_form(
            conversation.messages, conversation.tools, self.native_tools, getattr(self, "special_tokens", [])
        )
        return self.tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True, tokenize=False)

    # Generation ----------------------------------------------------------------------------------------------
    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        prompts = [self.render(c) for c in conversations]
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]), reverse=True)
        results: list[AssistantTurn | None] = [None] * len(prompts)
        batches = length_buckets(order, [len(p) for p in prompts], self.batch_size)
        for batch in tqdm(batches, desc="hf generate", unit="batch", disable=len(batches) < 2):
            sampling = conversations[batch[0]].sampling
            texts = [prompts[i] for i in batch]
            for i, turn in zip(batch, self._generate_batch(texts, sampling, conversations, batch), strict=True):
                results[i] = turn
        return [r for r in results if r is not None]

    @torch.inference_mode()
    def _generate_batch(
        self, prompts: list[str], sampling: dict[str, Any], conversations: list[Conversation], batch: list[int]
    ) -> list[AssistantTurn]:
        enc = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        do_sample = bool(sampling.get("do_sample", False)) and float(sampling.get("temperature", 0.0)) > 0
        gen_kwargs: dict[str, Any] = {
            "max_new_tokens": int(sampling.get("max_gen_toks", self.default_max_gen_toks)),
            "do_sample": do_sample,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.stop_token_ids,
        }
        if do_sample:
            gen_kwargs["temperature"] = float(sampling["temperature"])
            if "top_p" in sampling:
                gen_kwargs["top_p"] = float(sampling["top_p"])
        else:
            gen_kwargs.update({"temperature": None, "top_p": None, "top_k": None})
        output = self.model.generate(**enc, **gen_kwargs)
        new_tokens = output[:, enc["input_ids"].shape[1] :]
        turns = []
        for row, prompt, conv_index in zip(range(new_tokens.shape[0]), prompts, batch, strict=True):
            ids = new_tokens[row].tolist()
            n_out, finish = len(ids), "length"
            for k, tok_id in enumerate(ids):
                if tok_id in self.stop_token_ids:
                    n_out, finish = k, "stop"
                    break
            text = self.tokenizer.decode(ids[:n_out], skip_special_tokens=False)
            n_in = int(enc["attention_mask"][row].sum())
            turns.append(self._parse(text, prompt, conversations[conv_index], n_in, n_out, finish))
        return turns

    def _parse(
        self, text: str, prompt: str, conversation: Conversation, n_in: int, n_out: int, finish: str
    ) -> AssistantTurn:
        pad = self.tokenizer.pad_token
        if pad:
            text = text.replace(pad, "")
        if not conversation.tools:
            content = _strip_specials(text)
            return AssistantTurn(content=content, tokens_in=n_in, tokens_out=n_out, finish_reason=finish, raw=text)
        if self.structured_parser:
            try:
                message = self.tokenizer.parse_response(text, prefix=prompt, tools=conversation.tools)
                calls = calls_from_parsed_message(message)
                if calls or "<tool_call>" not in text:
                    content = message.get("content") or ""
                    return AssistantTurn(
                        content=_strip_specials(str(content)),
                        tool_calls=calls,
                        tokens_in=n_in,
                        tokens_out=n_out,
                        finish_reason="tool_calls" if calls else finish,
                        raw=text,
                    )
            except Exception as exc:  # a malformed call: read it with the text parser, which keeps the attempt
                log.debug("parse_response failed (%s); using the text parser", exc)
        content, calls = parse_tool_calls(_strip_specials(text, keep=("<|python_tag|>", "[TOOL_CALLS]")))
        return AssistantTurn(
            content=content,
            tool_calls=calls,
            tokens_in=n_in,
            tokens_out=n_out,
            finish_reason="tool_calls" if calls else finish,
            raw=text,
        )


def chat_form(
    messages: list[dict[str, Any]], tools: Any, native_tools: bool, defused: list[str] | tuple[str, ...] = ()
) -> tuple[list[dict[str, Any]], Any]:
    """The messages and tools a chat template is given: native tool messages, or (a template that ignores
    ``tools=``) the text fallback; the ``defused`` special tokens in tool results are defused either way. Training renders with
    this too, so a checkpoint is trained on exactly the prompts evaluation sends."""
    safe = neutralise_tool_messages(messages, list(defused))
    if tools and native_tools:
        return [_hf_message(m) for m in safe], tools
    return text_fallback_messages(safe, tools), None


def length_buckets(order: list[int], lengths: list[int], batch_size: int, max_padding: float = 2.0) -> list[list[int]]:
    """Split indices (longest first) into batches of at most ``batch_size`` whose longest prompt is at most
    ``max_padding`` times the shortest: a 200-token no-tool prompt padded to a 4,000-token tool prompt would
    cost twenty times its own compute."""
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < batch_size and lengths[batches[-1][0]] <= max_padding * lengths[i]:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def _strip_specials(text: str, keep: tuple[str, ...] = ()) -> str:
    for token in (*END_OF_TURN_TOKENS, "<|python_tag|>", "[TOOL_CALLS]", "<|begin_of_text|>"):
        if token not in keep:
            text = text.replace(token, "")
    return text.strip()


def _hf_message(message: dict[str, Any]) -> dict[str, Any]:
    """Our message as HF templates expect it (tool-call arguments as objects, never None content)."""
    out = dict(message)
    if out.get("content") is None:
        out["content"] = ""
    return out


def _read_template(value: str) -> str:
    if value.endswith(".jinja"):
        with open(value, encoding="utf-8") as fh:
            return fh.read()
    return value
