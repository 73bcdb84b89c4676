"""``--model toolwise``: an lm-eval LM that owns the tool loop and delegates generation to a backend.

``lm_eval --model toolwise --model_args backend=hf,pretrained=...,max_turns=8``:
``backend`` picks the engine (hf, vllm, openai, anthropic, or the scripted
oracle/always/never); the loop keys (``max_turns``, ``max_tool_calls``,
``max_tool_result_chars``, ``progress``) are ours; everything else goes to the
backend. The evaluator hands every generate request of every task to one
``generate_until`` call, so each turn is one batch across all conversations.
Each request returns its transcript as JSON, which ``--log_samples`` keeps.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from lm_eval.api.instance import Instance
from lm_eval.api.model import LM

from toolwise.bench.backends import make_backend
from toolwise.bench.loop import LoopLimits, Request, import_tool_modules, run_conversations
from toolwise.bench.problem import Problem, problem_from_doc
from toolwise.bench.transcript import MODES

log = logging.getLogger(__name__)

# Local engines take lm-eval's batch/device settings; scripted and API backends ignore them.
_ENGINE_BACKENDS = {"hf", "vllm"}


class ToolAgentLM(LM):
    """The ``toolwise`` model of lm-eval."""

    def __init__(
        self,
        backend: str = "oracle",
        max_turns: int = 8,
        max_tool_calls: int = 10,
        max_tool_result_chars: int = 6000,
        progress: bool = True,
        batch_size: int | str | None = None,
        max_batch_size: int | None = None,
        device: str | None = None,
        **backend_kwargs: Any,
    ) -> None:
        super().__init__()
        if backend in _ENGINE_BACKENDS:
            backend_kwargs.update(
                {k: v for k, v in {"batch_size": batch_size, "device": device}.items() if v is not None}
            )
        self.backend_name = backend
        self.backend = make_backend(backend, **backend_kwargs)
        self.limits = LoopLimits(
            max_turns=int(max_turns),
            max_tool_calls=int(max_tool_calls),
            max_tool_result_chars=int(max_tool_result_chars),
        )
        self.progress = bool(progress)

    @property
    def tokenizer_name(self) -> str:
        return f"toolwise-{self.backend_name}"

    def chat_template(self, chat_template: bool | str = False) -> str:
        return ""

    def apply_chat_template(self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        # Keep the messages structured; the backend renders them with its own template.
        return json.dumps(chat_history)

    def generate_until(self, requests: list[Instance], disable_tqdm: bool = False) -> list[str]:
        loop_requests = [self._to_request(r) for r in requests]
        transcripts = run_conversations(
            loop_requests, self.backend, self.limits, progress=self.progress and not disable_tqdm
        )
        return [t.to_json() for t in transcripts]

    def _to_request(self, instance: Instance) -> Request:
        ctx, gen_kwargs = instance.args[0], dict(instance.args[1])
        options = gen_kwargs.pop("toolwise", None) or {}
        mode = options.get("mode", "no_tool")
        if mode not in MODES:
            raise ValueError(f"unknown toolwise mode {mode!r}; expected one of {MODES}")
        import_tool_modules(options.get("tool_modules", []))
        problem, system_instruction = self._problem(instance, ctx)
        return Request(problem=problem, mode=mode, sampling=gen_kwargs, system_instruction=system_instruction)

    @staticmethod
    def _problem(instance: Instance, ctx: Any) -> tuple[Problem, str | None]:
        """The problem behind a request; a non-toolwise task becomes an open question on its prompt."""
        system_instruction = None
        if isinstance(ctx, str) and ctx.startswith("[{"):
            try:
                messages = json.loads(ctx)
                system_instruction = next((m["content"] for m in messages if m.get("role") == "system"), None)
            except (json.JSONDecodeError, TypeError, KeyError):
                pass
        doc = instance.doc or {}
        if "problem" in doc:
            return problem_from_doc(doc), system_instruction
        raise ValueError(
            f"task {instance.task_name!r} is not a toolwise task (its docs carry no 'problem'); "
            "use a stock lm-eval model for it"
        )

    def loglikelihood(self, requests: list[Instance], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        raise NotImplementedError("the toolwise model only generates; use lm-eval's hf/vllm models for loglikelihood")

    def loglikelihood_rolling(self, requests: list[Instance], disable_tqdm: bool = False) -> list[float]:
        raise NotImplementedError("the toolwise model only generates; use lm-eval's hf/vllm models for perplexity")
