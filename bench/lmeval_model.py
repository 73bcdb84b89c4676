"""``--model toolwise``: an lm-eval LM that owns the tool loop and delegates generation to a backend.

``lm_eval --model toolwise --model_args backend=hf,pretrained=...,max_turns=8``:
``backend`` picks the engine (hf, vllm, openai, anthropic, or the scripted
oracle/always/never); the loop keys (``max_turns``, ``max_tool_calls``,
``max_tool_result_chars``, ``progress``) are ours; everything else goes to the
backend. The evaluator hands every generate request of every task to one
``generate_until`` call, so each turn is one batch across all conversations.
Each request returns its transcript as JSON, which ``--log_samples`` keeps.

Under ``accelerate launch --num_processes N -m lm_eval --model toolwise ...`` (or torchrun) each process
is one data-parallel rank: lm-eval hands it every N-th document and gathers the samples and metrics on
rank 0 through the primitives below; a local engine gets this rank's device.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from lm_eval.api.instance import Instance
from lm_eval.api.model import LM

from toolwise.bench.backends import make_backend
from toolwise.bench.errors import UsageError, install_user_error_hook, warn_about_failures
from toolwise.bench.loop import LoopLimits, Request, import_tool_modules, run_conversations
from toolwise.bench.problem import Problem, problem_from_doc
from toolwise.bench.progress import ProblemProgress
from toolwise.bench.sampling import Sampling
from toolwise.bench.sampling import parse_bool as as_bool
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
        tool_workers: int | None = None,
        answer_tool: bool | str = "auto",
        progress: bool = True,
        batch_size: int | str | None = None,
        max_batch_size: int | None = None,
        device: str | None = None,
        **backend_kwargs: Any,
    ) -> None:
        super().__init__()
        install_user_error_hook()
        self._state = _distributed_state()
        if self._state is not None:
            self._rank, self._world_size = self._state.process_index, self._state.num_processes
            self._device = self._state.device
            device = device or str(self._state.device)  # rank k on a GPU machine uses cuda:k
        if backend in _ENGINE_BACKENDS:
            backend_kwargs.update(
                {k: v for k, v in {"batch_size": batch_size, "device": device}.items() if v is not None}
            )
        self.backend_name = backend
        try:
            # Loop settings first: a bad value is reported before a model loads for minutes.
            limits = {
                "max_turns": _whole_number("max_turns", max_turns),
                "max_tool_calls": _whole_number("max_tool_calls", max_tool_calls),
                "max_tool_result_chars": _whole_number("max_tool_result_chars", max_tool_result_chars),
            }
            if tool_workers is not None:
                limits["tool_workers"] = _whole_number("tool_workers", tool_workers)
            self.limits = LoopLimits(**limits)
            self.progress = as_bool(progress, "progress")
            self.answer_tool = _answer_tool_setting(
                answer_tool, backend_kwargs.get("peft") or backend_kwargs.get("pretrained")
            )
            self.backend = make_backend(backend, **backend_kwargs)
        except (ValueError, TypeError, FileNotFoundError) as exc:
            raise UsageError(f"--model_args: {exc}") from None

    # Data-parallel primitives (lm-eval's evaluator calls them only when world_size > 1) --------------------
    def all_gather(self, tensor: Any) -> Any:
        if self._state is None:
            return tensor
        from accelerate.utils import gather

        return gather(tensor)

    def gather_object(self, obj: Any, dst: int = 0) -> list[Any] | None:
        if self._state is None:
            return [obj]
        import torch.distributed as dist

        gathered: list[Any] | None = [None] * self._world_size if self._rank == dst else None
        dist.gather_object(obj, gathered, dst=dst)
        return gathered

    def barrier(self) -> None:
        if self._state is not None:
            self._state.wait_for_everyone()

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
        # One bar for the run, counting problems (both modes done), drawn only on a terminal.
        bar = ProblemProgress(
            [(r.task_name, r.doc_id) for r in requests],
            desc=f"toolwise[{self.backend_name}]",
            enabled=None if self.progress and not disable_tqdm else False,
        )
        try:
            transcripts = run_conversations(
                loop_requests, self.backend, self.limits, progress=False, on_finish=bar.finished
            )
        finally:
            bar.close()
        warn_about_failures(requests, transcripts, self.backend_name)
        return [t.to_json() for t in transcripts]

    def _to_request(self, instance: Instance) -> Request:
        ctx, gen_kwargs = instance.args[0], dict(instance.args[1])
        options = gen_kwargs.pop("toolwise", None) or {}
        mode = options.get("mode", "no_tool")
        if mode not in MODES:
            raise ValueError(f"unknown toolwise mode {mode!r}; expected one of {MODES}")
        import_tool_modules(options.get("tool_modules", []))
        problem, system_instruction = self._problem(instance, ctx)
        try:
            sampling = Sampling.from_gen_kwargs(gen_kwargs)
        except ValueError as exc:
            raise UsageError(f"task {instance.task_name!r}: gen_kwargs: {exc}") from None
        return Request(
            problem=problem,
            mode=mode,
            sampling=sampling,
            system_instruction=system_instruction,
            answer_tool=self.answer_tool,
        )

    @staticmethod
    def _problem(instance: Instance, ctx: Any) -> tuple[Problem, str | None]:
        """The problem behind a request; a non-toolwise task becomes an open question on its prompt."""
        system_instruction = None
        doc = instance.doc or {}
        if isinstance(ctx, str) and ctx.startswith("[{"):
            try:
                messages = json.loads(ctx)
                system_instruction = next((m["content"] for m in messages if m.get("role") == "system"), None)
            except (json.JSONDecodeError, TypeError, KeyError, AttributeError):
                pass
        elif isinstance(ctx, str) and isinstance(doc.get("question"), str) and doc["question"] in ctx:
            # Without --apply_chat_template lm-eval puts --system_instruction in front of the question text.
            system_instruction = ctx[: ctx.rfind(doc["question"])].strip() or None
        if "problem" in doc:
            return problem_from_doc(doc), system_instruction
        raise UsageError(
            f"task {instance.task_name!r} is not a toolwise task (its docs carry no 'problem'); "
            "use a stock lm-eval model for it"
        )

    def loglikelihood(self, requests: list[Instance], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        raise NotImplementedError("the toolwise model only generates; use lm-eval's hf/vllm models for loglikelihood")

    def loglikelihood_rolling(self, requests: list[Instance], disable_tqdm: bool = False) -> list[float]:
        raise NotImplementedError("the toolwise model only generates; use lm-eval's hf/vllm models for perplexity")


def _answer_tool_setting(value: bool | str, pretrained: Any) -> bool:
    """``answer_tool=true|false|auto``; auto reads the checkpoint's (or adapter's) ``toolwise.json``, written by
    training, so a trained model is offered at evaluation what it was trained with."""
    if str(value).lower() != "auto":
        return as_bool(value, "answer_tool")
    marker = Path(str(pretrained)) / "toolwise.json" if pretrained else None
    if marker is None or not marker.is_file():
        return False
    try:
        return bool(json.loads(marker.read_text(encoding="utf-8")).get("answer_tool", False))
    except (OSError, ValueError, AttributeError):
        raise ValueError(f"{marker} is not a JSON object; delete it or pass answer_tool=true|false") from None


def _whole_number(name: str, value: Any) -> int:
    """A loop setting from --model_args: a whole number of at least 1."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be at least 1, got {number}")
    return number


def _distributed_state() -> Any:
    """accelerate's process state when this process is one of several (``accelerate launch``, torchrun),
    else None; torch is imported only then, so a single-process run starts without it."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    from accelerate import PartialState

    # Joins the process group: nccl on GPUs; on a CPU-only machine accelerate needs cpu=True to pick gloo.
    state = PartialState(cpu=not torch.cuda.is_available())
    if state.num_processes <= 1:
        return None
    log.info("toolwise: data-parallel rank %d of %d on %s", state.process_index, state.num_processes, state.device)
    return state
