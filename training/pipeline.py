"""The three stages run one after another, each resumable: a finished stage is never redone.

Layout of the output folder::

    <out>/train_config.yaml     the resolved configuration of the last run
    <out>/state.json            per stage: done, fingerprint of its settings, summary, time, peak memory
    <out>/data/<stage>/         each stage's datasets (JSONL + Hugging Face datasets folder)
    <out>/base/                 a plain copy of the base model (only for GGUF or replaced chat templates)
    <out>/wkd/                  the WKD checkpoint
    <out>/final/                the WKD + TUA checkpoint: lm_eval ... backend=hf,pretrained=<out>/final
    <out>/eval/                 ``--eval``: base, WKD and final on the test split (report.md, comparison.json)

A stage is skipped when ``state.json`` marks it done with the same settings;
done with other settings is an error unless ``force`` (which also clears the
stages after it, since they were built on the old result).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

from toolwise.bench.backends import Backend, make_backend
from toolwise.bench.problem import Problem
from toolwise.training import llamafactory
from toolwise.training.collect import CollectResult, collect, record_problem
from toolwise.training.config import STAGES, Stage, TrainConfig, save_config
from toolwise.training.domains import load_training_problems
from toolwise.training.export import read_jsonl, save_dataset
from toolwise.training.model_card import write_model_card
from toolwise.training.resources import StageMonitor
from toolwise.training.sampling import resolve_sampler, sampler_backend
from toolwise.training.trainers import ModelSource, prepare_base, run_dpo, run_sft
from toolwise.training.tua import Difficulty, difficulty_split, tua_examples
from toolwise.training.wkd import OpenProposals, open_proposals, wkd_examples

log = logging.getLogger(__name__)

SamplerFactory = Callable[[str], AbstractContextManager[Backend]]


class StageError(RuntimeError):
    """A stage cannot run (missing input, or finished with other settings)."""


def _distributed() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def _process_state() -> Any:
    """accelerate's view of the processes. ``cpu`` as the Trainer's ``use_cpu`` sets it: a plain
    ``PartialState()`` on a machine without GPUs sees one process (and, made first, would be what the
    Trainer's shared state got too)."""
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def _main_process_first() -> AbstractContextManager[Any]:
    """Under ``accelerate launch`` the main process writes first; the others then reuse its files."""
    if not _distributed():
        return nullcontext()
    return _process_state().main_process_first()


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def _wait_for_everyone() -> None:
    """A barrier under ``accelerate launch``: what the main process wrote is there for all before they go on."""
    if _distributed():
        _process_state().wait_for_everyone()


def _rank_device(device: str | None) -> str | None:
    """Each process samples on its own GPU (``cuda:<LOCAL_RANK>``); one process keeps ``device`` as given."""
    if not _distributed() or device not in (None, "", "auto", "cuda"):
        return device
    import torch

    return f"cuda:{os.environ.get('LOCAL_RANK', '0')}" if torch.cuda.is_available() else device


# tua.questions=fresh draws its questions with this seed offset (any other draw than WKD's would do).
FRESH_SEED_OFFSET = 1000
T = TypeVar("T")
R = TypeVar("R")


def across_ranks(
    items: list[T], work: Callable[[list[T]], R], merge: Callable[[list[R]], R], main_only: bool
) -> R | None:
    """``work(items)``, shared out under ``accelerate launch``.

    One process: ``work(items)``. Several: each rank takes every world-th item, and ``merge`` joins the ranks'
    results (in rank order) on every rank. ``main_only`` runs it all on the main process (vLLM: its engine wants
    the machine) and returns None on the others at once: they wait for its files in :func:`_written_by_main`.
    """
    if not _distributed():
        return work(items)
    if main_only:
        return work(items) if _is_main_process() else None  # the others wait in _written_by_main
    import torch.distributed as dist

    state = _process_state()  # sets up the process group from accelerate's environment
    parts: list[Any] = [None] * state.num_processes
    dist.all_gather_object(parts, work(items[state.process_index :: state.num_processes]))
    return merge(parts)


def _written_by_main(flag: Path, poll_s: float = 2.0) -> None:
    """After the main process has written a stage's files: it leaves ``flag``, and the others wait for it.

    They poll the file system rather than wait at a barrier, which would time out (torch's default: 30 minutes
    for gloo, 10 for NCCL) while the main process samples on vLLM for longer.
    """
    if not _distributed():
        return
    if _is_main_process():
        flag.parent.mkdir(parents=True, exist_ok=True)
        flag.touch()
    else:
        while not flag.exists():
            time.sleep(poll_s)
    _wait_for_everyone()  # at once: everyone is here


def _in_order(rows: list[T], order: dict[str, int], key: Callable[[T], str]) -> list[T]:
    """``rows`` gathered from the ranks, back in the order of the problems (a stable sort: a problem's rows
    keep theirs), so that the datasets are those of one process."""
    return sorted(rows, key=lambda row: order[key(row)])


class Pipeline:
    """``Pipeline(config).run()`` runs collect -> wkd -> tua into ``config.out``."""

    def __init__(
        self,
        config: TrainConfig,
        console: Console | None = None,
        progress: bool = True,
        teacher_factory: Callable[[TrainConfig], Backend] | None = None,
        sampler_factory: SamplerFactory | None = None,
        task_manager: Any = None,
    ) -> None:
        if not config.out:
            raise ValueError("the pipeline needs an output folder (out)")
        self.config = config
        self.out = Path(config.out)
        self.console = console or Console()
        self.progress = progress
        self.teacher_factory = teacher_factory or default_teacher
        self.sampler_factory = sampler_factory or self._model_sampler
        self.task_manager = task_manager  # lm-eval's TaskManager for the eval stage (None: toolwise's tasks)

    # State ---------------------------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.out / "state.json"

    def state(self) -> dict[str, Any]:
        if self.state_file.exists():
            return json.loads(self.state_file.read_text(encoding="utf-8"))
        return {"stages": {}}

    def _write_state(self, state: dict[str, Any]) -> None:
        if not _is_main_process():
            return
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, default=str), encoding="utf-8")
        tmp.replace(self.state_file)

    def is_done(self, stage: Stage) -> bool:
        return bool(self.state()["stages"].get(stage, {}).get("done"))

    def data_dir(self, stage: Stage) -> Path:
        return self.out / "data" / stage

    @property
    def wkd_dir(self) -> Path:
        return self.out / "wkd"

    @property
    def final_dir(self) -> Path:
        return self.out / "final"

    def _clear(self, stage: Stage) -> None:
        """Remove a stage's outputs (before it is redone, or because an earlier stage changed)."""
        if not _is_main_process():
            return
        paths = [self.data_dir(stage), *(self.out / "checkpoints").glob(f"{stage}*")]
        paths += {
            "collect": [],
            "wkd": [self.wkd_dir, self.out / "wkd_sft"],
            "tua": [self.final_dir, self.out / "eval"],
        }[stage]
        for path in paths:
            if path.exists():
                shutil.rmtree(path)
        state = self.state()
        state["stages"].pop(stage, None)
        if stage == "tua":  # the evaluation was of the models being redone
            state.pop("eval", None)
        self._write_state(state)

    # Running -------------------------------------------------------------------------------------------------
    def run(self, stages: Sequence[str] | None = None, force: bool = False, evaluate: bool = False) -> dict[str, Any]:
        """Run ``stages`` (default: all, in order), skipping finished ones; returns the state.

        ``force`` redoes finished stages whose settings changed, and also unchanged ones when ``stages``
        names them; either way the stages after a redone one are redone too. ``evaluate`` (or ``eval`` among
        ``stages``; alone, it evaluates the finished run) ends with :meth:`evaluate`.
        """
        selected = list(stages or STAGES)
        unknown = [s for s in selected if s not in (*STAGES, "eval")]
        if unknown:
            raise ValueError(f"unknown stage(s) {unknown}; stages are {', '.join(STAGES)} and eval")
        evaluate = evaluate or "eval" in selected
        selected = [s for s in selected if s != "eval"]
        if evaluate and not selected:  # --stage eval alone: evaluate what is there
            self.out.mkdir(parents=True, exist_ok=True)
            self.evaluate()
            return self.state()
        self.out.mkdir(parents=True, exist_ok=True)
        if _is_main_process():
            save_config(self.config, self.out / "train_config.yaml")
        _wait_for_everyone()  # no rank reads state.json before all have started
        for stage in (s for s in STAGES if s in selected):
            self._run_stage(stage, force, explicit=stages is not None)  # type: ignore[arg-type]
        if evaluate:
            self.evaluate()
        return self.state()

    # Evaluation ----------------------------------------------------------------------------------------------
    def evaluate(self) -> dict[str, Any]:
        """Base, WKD and final on the task's test split: ``<out>/eval/`` and ``state.json``'s ``eval``.

        Each model's results are kept in ``<out>/eval/<model>.json`` (reused while the settings are the same);
        ``report.md`` holds the tables with paired bootstrap intervals, ``comparison.json`` the same figures as
        data, and the final model card is rewritten with the table.
        """
        from toolwise.training import evaluation

        cfg = self.config
        if not self.is_done("tua"):
            raise StageError("evaluation needs the tua stage finished (toolwise train ... --stage tua)")
        tasks = [t.strip() for t in cfg.task.split(",") if t.strip()]
        if not tasks:
            raise StageError("evaluation needs the task whose test split is scored (--task)")
        folder = self.out / "eval"
        models = {"base": self.base_source().path, "wkd": str(self.wkd_dir), "wkd_tua": str(self.final_dir)}
        self.console.rule("[bold]eval[/bold]")
        started = time.strftime("%Y-%m-%dT%H:%M:%S")
        evals: dict[str, dict[str, Any]] = {}
        with StageMonitor() as monitor:
            for name, model_dir in models.items():
                evals[name] = evaluation.evaluate_model(
                    name,
                    model_dir,
                    folder,
                    tasks,
                    # as efficacy.py: the final model is offered the answer tool when TUA trained answer calls
                    answer_tool=name == "wkd_tua" and cfg.tua.direct_form == "answer_call",
                    device=cfg.device,
                    batch_size=cfg.sample_batch_size,
                    max_turns=cfg.eval.max_turns,
                    max_gen_toks=cfg.eval.max_gen_toks,
                    limit=cfg.eval.limit,
                    manager=self.task_manager,
                )
        text = evaluation.report(evals)
        data = evaluation.comparison(evals)
        board = evaluation.leaderboard(folder, list(models))
        if _is_main_process():
            (folder / "report.md").write_text(text, encoding="utf-8")
            if board:
                (folder / "leaderboard.md").write_text(board, encoding="utf-8")
            (folder / "comparison.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        summary = {
            "tasks": tasks,
            "checkpoints": models,
            "per_task": {name: record["per_task"] for name, record in evals.items()},
            **data,
            "report": str(folder / "report.md"),
            "leaderboard": str(folder / "leaderboard.md") if board else None,
        }
        state = self.state()
        state["eval"] = {"started_at": started, "summary": summary, "usage": monitor.usage.as_dict()}
        self._write_state(state)
        if _is_main_process():
            write_model_card(self.final_dir, cfg, state)
        self.console.print(text)
        return summary

    def _run_stage(self, stage: Stage, force: bool, explicit: bool = False) -> None:
        record = self.state()["stages"].get(stage, {})
        fingerprint = self.config.fingerprint(stage)
        if record.get("done"):
            stale = record.get("fingerprint") != fingerprint
            if stale and not force:
                raise StageError(
                    f"stage '{stage}' in {self.out} was finished with other settings; restore them, or pass "
                    f"--force to redo it (the stages after it are redone too)"
                )
            if not stale and not (force and explicit):
                self.console.print(f"[bold]{stage}[/bold]: already done, skipped ({self.state_file})")
                return
        previous = STAGES[STAGES.index(stage) - 1] if stage != "collect" else None
        if previous and not self.is_done(previous):  # type: ignore[arg-type]
            raise StageError(f"stage '{stage}' needs stage '{previous}' first (toolwise train ... --stage {previous})")
        # A stage killed mid-way keeps what it had made with these settings (samples, checkpoints) and resumes;
        # a finished stage being redone, or one begun with other settings, starts clean.
        marker = self.data_dir(stage) / ".fingerprint"
        resumable = not record.get("done") and marker.exists() and marker.read_text() == fingerprint
        for later in STAGES[STAGES.index(stage) :]:
            if not (later == stage and resumable):
                self._clear(later)  # type: ignore[arg-type]
        if _is_main_process():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(fingerprint)
        _wait_for_everyone()  # the cleared outputs are gone for every rank
        self.console.rule(f"[bold]{stage}[/bold]" + (" (resuming)" if resumable else ""))
        started = time.strftime("%Y-%m-%dT%H:%M:%S")
        with StageMonitor() as monitor:
            summary = getattr(self, f"_{stage}")()
        state = self.state()
        state["stages"][stage] = {
            "done": True,
            "fingerprint": fingerprint,
            "started_at": started,
            "summary": summary,
            "usage": monitor.usage.as_dict(),
        }
        self._write_state(state)
        if stage == "tua" and _is_main_process():
            write_model_card(self.final_dir, self.config, state)
        _wait_for_everyone()  # every rank reads this state before the next stage
        self._print_summary(stage, summary, monitor.usage.as_dict())

    def _print_summary(self, stage: str, summary: dict[str, Any], usage: dict[str, Any]) -> None:
        table = Table(title=f"{stage}: summary", show_header=False)
        for key, value in {**_flatten(summary), **{f"usage.{k}": v for k, v in usage.items()}}.items():
            if key.endswith("losses") and isinstance(value, list) and len(value) > 8:  # the curve, in short
                value = f"{len(value)} values, {value[0]:.4g} ... {value[-1]:.4g}"
            table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
        self.console.print(table)

    def checkpoint_dir(self, stage: Stage, step: str = "sft") -> Path:
        """Where a training step writes its resumable checkpoints; named by the settings, so a rerun with other
        settings never resumes from them."""
        return self.out / "checkpoints" / f"{stage}-{step}-{self.config.fingerprint(stage)}"

    def _export_llamafactory(
        self, name: str, records: list[dict[str, Any]], stage: Any, model: str, kind: str = "sft"
    ) -> None:
        """The stage's data and a training YAML for LLaMA-Factory, in ``<out>/llamafactory/``."""
        folder = self.out / "llamafactory"
        dataset = f"toolwise_{name}"
        if kind == "dpo":
            llamafactory.export_dpo(folder, dataset, records)
        else:
            llamafactory.export_sft(folder, dataset, records)
        text = llamafactory.stage_yaml(self.config, stage, model, dataset, name, kind)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")

    # Models ---------------------------------------------------------------------------------------------------
    def base_source(self) -> ModelSource:
        """The base model; a GGUF file or a replaced chat template is first saved as a plain checkpoint."""
        cfg = self.config
        if not cfg.base:
            raise StageError("no base model given (--base)")
        if not (cfg.gguf_file or cfg.chat_template):
            return ModelSource(cfg.base, dtype=cfg.dtype)
        folder = self.out / "base"
        origin = {"base": cfg.base, "gguf_file": cfg.gguf_file, "chat_template": cfg.chat_template}
        marker = folder / "toolwise_origin.json"
        with _main_process_first():
            current = json.loads(marker.read_text()) if marker.exists() else None
            if current != origin and _is_main_process():
                source = ModelSource(
                    cfg.base, gguf_file=cfg.gguf_file, dtype=cfg.dtype, chat_template=cfg.chat_template
                )
                prepare_base(source, folder)
                marker.write_text(json.dumps(origin))
        return ModelSource(str(folder), dtype=cfg.dtype)

    @contextmanager
    def _model_sampler(self, model_dir: str) -> Iterator[Backend]:
        """The TUA difficulty samples and the DPO proposals: hf or vllm (``sampler``), the same prompts on both."""
        with sampler_backend(
            model_dir,
            batch_size=self.config.sample_batch_size,
            device=_rank_device(self.config.device),
            max_gen_toks=max(self.config.tua.sample_max_gen_toks, self.config.wkd.proposal_max_gen_toks),
            sampler=self.config.sampler,
        ) as backend:
            yield backend

    def _samples_on_vllm(self) -> bool:
        """Whether the pipeline's own sampler is vLLM (one engine, on the main process, under several processes)."""
        return self.sampler_factory == self._model_sampler and resolve_sampler(self.config.sampler) == "vllm"

    # Stages ---------------------------------------------------------------------------------------------------
    def _collect(self) -> dict[str, Any]:
        cfg = self.config
        problems, split_counts = load_training_problems(cfg.task, cfg.collect.n_train, cfg.collect.seed, cfg.train_file)
        folder = self.data_dir("collect")
        counts = self._collect_into(problems, folder)
        records = read_jsonl(folder / "trajectories.jsonl")
        tool_calls = [r["n_tool_calls"] for r in records]
        return {
            "training_split": split_counts,
            **counts,
            "tool_calls_per_trajectory": round(sum(tool_calls) / len(tool_calls), 3) if tool_calls else 0.0,
            "teacher": cfg.collect.teacher,
            "solution_source": cfg.collect.solution_source,
            "data": str(folder),
        }

    def _collect_into(self, problems: list[Problem], folder: Path) -> dict[str, Any]:
        """The teacher's trajectories of ``problems`` in ``folder`` (kept, once written); their counts."""
        cfg = self.config
        if not (folder / "trajectories.jsonl").exists():
            order = {p.id: i for i, p in enumerate(problems)}

            def work(share: list[Problem]) -> CollectResult:
                return collect(share, self.teacher_factory(cfg), cfg.collect, progress=self.progress)

            def merge(parts: list[CollectResult]) -> CollectResult:
                records = _in_order([r for part in parts for r in part.records], order, lambda r: r["problem_id"])
                dropped = _in_order([d for part in parts for d in part.dropped], order, lambda d: d["problem_id"])
                return CollectResult(records, dropped)

            teacher = resolve_sampler(cfg.sampler) if cfg.collect.teacher == "hf" else cfg.collect.teacher
            result = across_ranks(problems, work, merge, main_only=teacher == "vllm")
            if result is not None and _is_main_process():
                save_dataset([p.to_dict() for p in problems], folder, "problems")
                save_dataset(result.dropped, folder, "dropped")
                save_dataset(result.records, folder, "trajectories")
            _written_by_main(folder / ".written")
            return result.counts() if result is not None else {}
        return {"kept": len(read_jsonl(folder / "trajectories.jsonl"))}

    def _records(self, folder: Path | None = None) -> tuple[list[dict[str, Any]], dict[str, Problem]]:
        folder = folder or self.data_dir("collect")
        records = read_jsonl(folder / "trajectories.jsonl")
        if not records:
            raise StageError(f"collect kept no trajectory; nothing to train on (see {folder}/dropped.jsonl)")
        return records, {r["problem_id"]: record_problem(r) for r in records}

    def _fresh_records(self) -> tuple[list[dict[str, Any]], dict[str, Problem], dict[str, Any]]:
        """TUA's own questions (``tua.questions: fresh``): a second draw of the training split, none of WKD's."""
        cfg = self.config
        if cfg.train_file:
            raise StageError("tua.questions=fresh draws new questions from the task; it cannot with --train-file")
        seen = {p.question for p in self._records()[1].values()}
        drawn, _ = load_training_problems(cfg.task, cfg.collect.n_train, cfg.collect.seed + FRESH_SEED_OFFSET)
        problems = [dataclasses.replace(p, id=f"{p.id}-tua") for p in drawn if p.question not in seen]
        folder = self.data_dir("tua") / "questions"
        counts = self._collect_into(problems, folder)
        records, by_id = self._records(folder)
        return (
            records,
            by_id,
            {"fresh_questions": len(problems), "dropped_as_wkd_questions": len(drawn) - len(problems), **counts},
        )

    def _wkd(self) -> dict[str, Any]:
        cfg = self.config.wkd
        records, problems = self._records()
        base = self.base_source()
        examples = wkd_examples(records, problems)
        folder = self.data_dir("wkd")
        if _is_main_process():
            save_dataset(examples, folder, "sft")
            self._export_llamafactory("wkd_sft", examples, self.config.wkd, base.path)
        has_open = any(p.answer_type == "open" for p in problems.values())
        sft_dir = self.out / "wkd_sft" if has_open else self.wkd_dir
        # TUA starts from the WKD weights, so a WKD adapter is always merged (merge_lora applies to the final model).
        cfg = dataclasses.replace(cfg, merge_lora=True)
        sft = run_sft(base, examples, cfg, sft_dir, checkpoint_dir=self.checkpoint_dir("wkd"))
        summary: dict[str, Any] = {"sft": sft.as_dict(), "data": str(folder)}
        if not has_open:
            summary["dpo"] = "skipped (no open-ended question)"
            summary["checkpoint"] = str(self.wkd_dir)
            return summary
        # Proposals come from the model DPO updates (the SFT result), not from the base: DPO's preferences are
        # about this policy's own outputs.
        if not (folder / "dpo.jsonl").exists():
            questions = [p for p in problems.values() if p.answer_type == "open"]
            order = {p.id: i for i, p in enumerate(questions)}

            def work(share: list[Problem]) -> OpenProposals:
                if not share:  # fewer questions than ranks
                    return OpenProposals()
                with self.sampler_factory(str(sft_dir)) as backend:
                    return open_proposals(share, backend, cfg, progress=self.progress)

            def merge(parts: list[OpenProposals]) -> OpenProposals:
                def by_problem(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
                    return _in_order(rows, order, lambda row: row["problem_id"])

                scores = {k: v for part in parts for k, v in part.proposal_scores.items()}
                return OpenProposals(
                    sft_examples=by_problem([e for part in parts for e in part.sft_examples]),
                    pairs=by_problem([pair for part in parts for pair in part.pairs]),
                    proposal_scores={p.id: scores[p.id] for p in questions if p.id in scores},
                )

            proposals = across_ranks(questions, work, merge, main_only=self._samples_on_vllm())
            if proposals is not None:
                if _is_main_process():
                    save_dataset(proposals.pairs, folder, "dpo")
                    save_dataset(proposals.sft_examples, folder, "best_proposals")
                summary.update(proposals.counts())
            _written_by_main(folder / ".written-dpo")
        pairs = read_jsonl(folder / "dpo.jsonl")
        if pairs and _is_main_process():
            self._export_llamafactory("wkd_dpo", pairs, self.config.wkd, "wkd_sft", kind="dpo")
        if pairs:
            dpo = run_dpo(ModelSource(str(sft_dir)), pairs, cfg, self.wkd_dir, self.checkpoint_dir("wkd", "dpo"))
            summary["dpo"] = dpo.as_dict()
        else:
            summary["dpo"] = "skipped (no ranked pair of proposals)"
            if _is_main_process():
                if self.wkd_dir.exists():
                    shutil.rmtree(self.wkd_dir)
                sft_dir.rename(self.wkd_dir)
        summary["checkpoint"] = str(self.wkd_dir)
        return summary

    def _tua(self) -> dict[str, Any]:
        cfg = self.config.tua
        fresh: dict[str, Any] = {}
        if cfg.questions == "fresh":
            records, problems, fresh = self._fresh_records()
        else:
            records, problems = self._records()
        folder = self.data_dir("tua")
        if not (folder / "difficulty.jsonl").exists():
            questions = [problems[r["problem_id"]] for r in records]
            order = {p.id: i for i, p in enumerate(questions)}

            def work(share: list[Problem]) -> list[Difficulty]:
                if not share:
                    return []
                with self.sampler_factory(str(self.wkd_dir)) as backend:
                    return difficulty_split(share, backend, cfg, progress=self.progress)

            def merge(parts: list[list[Difficulty]]) -> list[Difficulty]:
                return _in_order([d for part in parts for d in part], order, lambda d: d.problem_id)

            sampled = across_ranks(questions, work, merge, main_only=self._samples_on_vllm())
            if sampled is not None and _is_main_process():
                save_dataset([d.as_dict() for d in sampled], folder, "difficulty")
            _written_by_main(folder / ".written-difficulty")
        split = [Difficulty(**row) for row in read_jsonl(folder / "difficulty.jsonl")]
        examples, counts = tua_examples(records, problems, split, cfg)
        if _is_main_process():
            save_dataset(examples, folder, "sft")
            self._export_llamafactory("tua_sft", examples, cfg, str(self.wkd_dir))
        sft = run_sft(
            ModelSource(str(self.wkd_dir)), examples, cfg, self.final_dir, checkpoint_dir=self.checkpoint_dir("tua")
        )
        if _is_main_process():
            # What evaluation must offer this model: read by backend=...,answer_tool=auto (the default).
            marker = {"answer_tool": cfg.direct_form == "answer_call", "direct_form": cfg.direct_form}
            (self.final_dir / "toolwise.json").write_text(json.dumps(marker, indent=1) + "\n")
        accuracy = [d.accuracy for d in split]
        return {
            "direct_accuracy_of_wkd_model": round(sum(accuracy) / len(accuracy), 4) if accuracy else None,
            **fresh,
            **counts,
            "sft": sft.as_dict(),
            "data": str(folder),
            "checkpoint": str(self.final_dir),
        }


def default_teacher(config: TrainConfig) -> Backend:
    """The teacher backend named in the config; local engines get the pipeline's device and batch size."""
    args = dict(config.collect.teacher_args)
    name = config.collect.teacher
    if name == "hf":  # a local model teacher runs on the pipeline's sampler engine (vllm when asked or importable)
        name = resolve_sampler(config.sampler)
    if name in ("hf", "vllm"):
        args.setdefault("pretrained", config.base)
        if name == "vllm":
            args.setdefault("cache", False)
        if name == "hf":
            args.setdefault("batch_size", config.sample_batch_size)
            args.setdefault("device", _rank_device(config.device))
    return make_backend(name, **args)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
