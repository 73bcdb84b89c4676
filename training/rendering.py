"""From a conversation to token ids and an assistant-only loss mask, rendered as the local backends render it.

Two facts fix the design:

1. A model must be trained on the text it is evaluated on. The ``hf`` and
   ``vllm`` backends render tools natively (``apply_chat_template(tools=...)``)
   when the template takes them, and otherwise put the schemas in the system
   prompt with tool calls and results as plain text; both, and this module,
   take that choice from ``bench.backends.chat_format`` (:func:`chat_form`).
2. Loss goes on what the assistant writes (its text, its tool calls and its
   end-of-turn token) and never on prompts or tool results. The preferred
   route is trl's: a chat template with ``{% generation %}`` markers (the
   model's own, trl's training variant for its family, or one shipped in
   ``chat_templates/``, used only if it renders byte-identically to the
   model's template). For any other template that is prefix-preserving the
   mask comes from rendering the conversation turn by turn
   (:func:`prefix_tokenize`): the prompt before each assistant turn exactly
   as the backend would send it, then the turn.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from transformers import PreTrainedTokenizerBase

from toolwise.bench.backends.chat_format import chat_form, special_tokens, template_takes_tools

log = logging.getLogger(__name__)

TEMPLATE_PACKAGE = "toolwise.training.chat_templates"
_PROBE_TOOL = {
    "type": "function",
    "function": {
        "name": "probe_scale",
        "description": "Scale a number.",
        "parameters": {"type": "object", "properties": {"x": {"type": "number", "description": "x"}}},
    },
}
PROBE_CONVERSATIONS: list[tuple[list[dict[str, Any]], Any]] = [
    (
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What is 2 times 3?"},
            {"role": "assistant", "content": "2 x 3 = 6, so the answer is 6."},
        ],
        None,
    ),
    (
        [
            {"role": "system", "content": "Use tools."},
            {"role": "user", "content": "Scale 4."},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "probe_scale", "arguments": {"x": 4}}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "name": "probe_scale", "content": '{"value": 8}'},
            {"role": "assistant", "content": "the answer is 8"},
        ],
        [_PROBE_TOOL],
    ),
]


class MaskingError(ValueError):
    """The chat template cannot give an assistant-only mask for a conversation."""


@dataclass
class Renderer:
    """How one tokenizer turns conversations into training sequences."""

    tokenizer: PreTrainedTokenizerBase
    native_tools: bool
    training_template: str | None

    @property
    def masking(self) -> str:
        return "generation-markers" if self.training_template else "prefix-render"

    def tokenize(self, messages: list[dict[str, Any]], tools: Any) -> dict[str, list[int]]:
        """``input_ids`` and ``assistant_masks`` (1 on tokens the assistant wrote) of a conversation."""
        form_messages, form_tools = chat_form(messages, tools, self.native_tools, special_tokens(self.tokenizer))
        if self.training_template is not None:
            out = self.tokenizer.apply_chat_template(
                form_messages,
                tools=form_tools,
                chat_template=self.training_template,
                tokenize=True,
                return_dict=True,
                return_assistant_tokens_mask=True,
            )
            ids, mask = list(out["input_ids"]), list(out["assistant_masks"])
        else:
            ids, mask = prefix_tokenize(self.tokenizer, form_messages, form_tools)
        if 1 not in mask:
            raise MaskingError("the conversation has no assistant tokens")
        return {"input_ids": ids, "assistant_masks": mask}


def _render(
    tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, Any]], tools: Any, add_generation_prompt: bool
) -> str:
    return tokenizer.apply_chat_template(
        messages, tools=tools, tokenize=False, add_generation_prompt=add_generation_prompt
    )


def prefix_tokenize(
    tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, Any]], tools: Any
) -> tuple[list[int], list[int]]:
    """Token ids and assistant mask by rendering the conversation up to each assistant turn.

    Each segment is tokenised on its own, as at inference, where the prompt
    is tokenised and the reply generated after it.
    """
    ids: list[int] = []
    mask: list[int] = []
    done = ""

    def add(text: str, bit: int) -> None:
        if text:
            piece = tokenizer(text, add_special_tokens=False)["input_ids"]
            ids.extend(piece)
            mask.extend([bit] * len(piece))

    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = _render(tokenizer, messages[:i], tools, add_generation_prompt=True)
        full = _render(tokenizer, messages[: i + 1], tools, add_generation_prompt=False)
        if not prompt.startswith(done) or not full.startswith(prompt):
            raise MaskingError(
                "the chat template is not prefix-preserving (earlier turns render differently once later turns "
                "follow), so the assistant tokens cannot be located; give a template with {% generation %} markers"
            )
        add(prompt[len(done) :], 0)
        add(full[len(prompt) :], 1)
        done = full
    return ids, mask


def shipped_templates() -> dict[str, str]:
    """Generation-tagged templates shipped with toolwise, by file name."""
    folder = resources.files(TEMPLATE_PACKAGE)
    return {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.name.endswith(".jinja")}


def renders_like(
    tokenizer: PreTrainedTokenizerBase,
    template: str,
    conversations: Sequence[tuple[list[dict[str, Any]], Any]],
    native_tools: bool,
) -> bool:
    """Does ``template`` render every conversation exactly as the tokenizer's own template does?"""
    for messages, tools in conversations:
        form_messages, form_tools = chat_form(messages, tools, native_tools, special_tokens(tokenizer))
        for add_generation_prompt in (False, True):
            msgs = form_messages if not add_generation_prompt else form_messages[:-1]
            try:
                ours = tokenizer.apply_chat_template(
                    msgs,
                    tools=form_tools,
                    chat_template=template,
                    tokenize=False,
                    add_generation_prompt=add_generation_prompt,
                )
            except Exception:
                return False
            if ours != _render(tokenizer, msgs, form_tools, add_generation_prompt):
                return False
    return True


def _has_markers(template: Any) -> bool:
    return isinstance(template, str) and "{% generation %}" in template.replace("{%-", "{%").replace("-%}", "%}")


def find_training_template(tokenizer: PreTrainedTokenizerBase, native_tools: bool) -> tuple[str | None, str]:
    """A generation-tagged template equivalent to the tokenizer's, and where it came from; (None, why) if none."""
    own = tokenizer.chat_template
    candidates: list[tuple[str, str]] = []
    if _has_markers(own):
        candidates.append(("the model's own template", own))
    try:
        from trl.chat_template_utils import get_training_chat_template

        patched = get_training_chat_template(tokenizer)
        if patched is not None:
            candidates.append(("trl's training variant", patched))
    except (ValueError, ImportError) as exc:
        log.debug("trl has no training template for this model: %s", exc)
    candidates.extend((f"toolwise chat_templates/{name}", text) for name, text in sorted(shipped_templates().items()))
    for source, template in candidates:
        if _has_markers(template) and renders_like(tokenizer, template, PROBE_CONVERSATIONS, native_tools):
            return template, source
    return None, "no generation-tagged template renders like the model's; masks come from turn-by-turn rendering"


def make_renderer(tokenizer: PreTrainedTokenizerBase, masking: str = "auto") -> tuple[Renderer, str]:
    """The renderer for a tokenizer; ``masking`` is auto, generation-markers or prefix-render."""
    if masking not in ("auto", "generation-markers", "prefix-render"):
        raise ValueError("masking must be auto, generation-markers or prefix-render")
    native = template_takes_tools(tokenizer)
    template, source = (None, "prefix-render requested") if masking == "prefix-render" else (None, "")
    if masking != "prefix-render":
        template, source = find_training_template(tokenizer, native)
        if template is None and masking == "generation-markers":
            raise MaskingError(f"no generation-tagged chat template for this model: {source}")
    return Renderer(tokenizer, native, template), source
