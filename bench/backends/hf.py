"""``backend=hf``: a transformers model with its chat template, batched per turn.

Loading is ordinary transformers code (a hub id or a local path in
``pretrained``; ``gguf_file`` for GGUF checkpoints; ``peft`` for an adapter).
Prompts are rendered by ``chat_format`` (``apply_chat_template(..., tools=...)``;
a template that ignores ``tools=`` gets the schemas in the system prompt
instead), as training renders them. Generation is batched with left padding,
one batch per (length bucket, ``Sampling``), each request drawing with its own
seeded generator; replies stop at ``until`` strings and are decoded with special
tokens kept, since several families mark tool calls with special tokens.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from typing import Any

import torch
from tqdm.auto import tqdm
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LogitsProcessor,
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopPLogitsWarper,
)

from toolwise.bench.backends._model_identity import weights_fingerprint
from toolwise.bench.backends.base import AssistantTurn, Conversation
from toolwise.bench.backends.chat_format import (
    END_OF_TURN_TOKENS,
    attach_response_parser,
    read_chat_template,
    render_prompt,
    special_tokens,
    template_takes_tools,
)
from toolwise.bench.backends.tool_parsing import calls_from_parsed_message, parse_tool_calls
from toolwise.bench.sampling import Sampling

log = logging.getLogger(__name__)


def resolve_device(device: str | None) -> str:
    if device in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        log.warning("device %s requested but CUDA is not available; using cpu", device)
        return "cpu"
    return str(device)


class RowDraws(LogitsProcessor):
    """Draws each row's next token with that row's own generator, so a seeded request samples the same reply
    whatever shares its batch. Gumbel-max: the argmax of log-probabilities plus Gumbel noise is a draw from
    their softmax, so greedy search after this processor samples (after the temperature and top-p warpers)."""

    def __init__(self, generators: list[torch.Generator]) -> None:
        self.generators = generators

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        uniform = torch.stack(
            [torch.rand(scores.shape[-1], generator=g, device=scores.device) for g in self.generators]
        )
        gumbel = -torch.log(-torch.log(uniform.clamp(min=torch.finfo(uniform.dtype).tiny)))
        return torch.log_softmax(scores, dim=-1) + gumbel


def row_generator(seed: int | None, device: str) -> torch.Generator:
    """A request's own random stream: from its seed, else from torch's global one (``torch.manual_seed``
    still makes a whole run repeatable)."""
    if seed is None:
        seed = int(torch.randint(0, 2**62, (1,)).item())
    return torch.Generator(device=device).manual_seed(seed)


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
            self.tokenizer.chat_template = read_chat_template(chat_template)
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
        defused = getattr(self, "special_tokens", [])
        return render_prompt(self.tokenizer, conversation.messages, conversation.tools, self.native_tools, defused)

    # Generation ----------------------------------------------------------------------------------------------
    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        prompts = [self.render(c) for c in conversations]
        results: list[AssistantTurn | None] = [None] * len(prompts)
        batches = self.batches(conversations, [len(p) for p in prompts])
        for sampling, batch in tqdm(batches, desc="hf generate", unit="batch", disable=len(batches) < 2):
            turns = self._generate_batch([prompts[i] for i in batch], sampling, [conversations[i] for i in batch])
            for i, turn in zip(batch, turns, strict=True):
                results[i] = turn
        return [r for r in results if r is not None]

    def batches(self, conversations: list[Conversation], lengths: list[int]) -> list[tuple[Sampling, list[int]]]:
        """Batches of conversation indices, each with one sampling (seeds aside: every row draws with its own
        generator) and within one length bucket (:func:`length_buckets`), longest prompts first."""
        order = sorted(range(len(conversations)), key=lambda i: lengths[i], reverse=True)
        groups: dict[Sampling, list[int]] = {}
        for i in order:
            groups.setdefault(dataclasses.replace(conversations[i].sampling, seed=None), []).append(i)
        return [
            (s, batch) for s, indices in groups.items() for batch in length_buckets(indices, lengths, self.batch_size)
        ]

    def generate_kwargs(self, sampling: Sampling, seeds: list[int | None]) -> dict[str, Any]:
        """``model.generate`` arguments for a batch of one ``sampling``, one seed per row.

        Sampling is greedy search over ``RowDraws``' per-row draws (after transformers' temperature and top-p
        warpers); ``until`` goes to transformers' ``stop_strings`` (the reply is cut before the string).
        """
        kwargs: dict[str, Any] = {
            "max_new_tokens": sampling.max_tokens or self.default_max_gen_toks,
            "do_sample": False,
            "temperature": None,
            "top_p": None,
            "top_k": None,
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": self.stop_token_ids,
        }
        if sampling.stop:
            kwargs |= {"stop_strings": list(sampling.stop), "tokenizer": self.tokenizer}
        if not sampling.greedy:
            processors: list[LogitsProcessor] = [TemperatureLogitsWarper(sampling.temperature)]
            if sampling.top_p < 1:
                processors.append(TopPLogitsWarper(sampling.top_p))
            processors.append(RowDraws([row_generator(seed, self.device) for seed in seeds]))
            kwargs["logits_processor"] = LogitsProcessorList(processors)
        return kwargs

    @torch.inference_mode()
    def _generate_batch(
        self, prompts: list[str], sampling: Sampling, conversations: list[Conversation]
    ) -> list[AssistantTurn]:
        enc = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        kwargs = self.generate_kwargs(sampling, [c.sampling.seed for c in conversations])
        output = self.model.generate(**enc, **kwargs)
        new_tokens = output[:, enc["input_ids"].shape[1] :]
        turns = []
        for row, (prompt, conversation) in enumerate(zip(prompts, conversations, strict=True)):
            ids = new_tokens[row].tolist()
            n_out, finish = len(ids), "length"
            for k, tok_id in enumerate(ids):
                if tok_id in self.stop_token_ids:
                    n_out, finish = k, "stop"
                    break
            text = self.tokenizer.decode(ids[:n_out], skip_special_tokens=False)
            cut = stop_index(text, sampling.stop)
            if cut is not None:
                text, finish = text[:cut], "stop"
                while n_out and ids[n_out - 1] == self.tokenizer.pad_token_id:  # a row stopped early is padded
                    n_out -= 1
            n_in = int(enc["attention_mask"][row].sum())
            turns.append(self._parse(text, prompt, conversation, n_in, n_out, finish))
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


def stop_index(text: str, stops: tuple[str, ...]) -> int | None:
    """Where the first of the stop strings begins in ``text``, or None."""
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else None


def _strip_specials(text: str, keep: tuple[str, ...] = ()) -> str:
    for token in (*END_OF_TURN_TOKENS, "<|python_tag|>", "[TOOL_CALLS]", "<|begin_of_text|>"):
        if token not in keep:
            text = text.replace(token, "")
    return text.strip()
