"""``toolwise compare``: several models on the same tasks through one lm-eval path, then the leaderboard.

Every model x task x repeat is one ``lm_eval --model toolwise ... --log_samples`` run (the same flags for
every model) into its own folder ``OUT/runs/<model>/<task>/<fingerprint>/``, whose ``settings.json`` names
the settings that shape its results. A rerun skips every run whose results are there under the same
fingerprint, reruns a killed one (its answered requests come back from the response cache), and never
mixes settings: changed settings get new folders, and the leaderboard reads only the current plan's.
API models run concurrently with each other; local models (hf, vllm, scripted) one at a time, beside them.
``--dry-run`` prices the plan (``compare_estimate``); ``--max-cost`` stops before the spending of finished
runs plus the estimate of the next would pass the cap. The leaderboard (Markdown, LaTeX, CSV, HTML with a
transcript page per model x task) goes to ``OUT/leaderboard``.

Like ``bench/cli.py`` it sits on top: it imports the leaderboard and lm-eval's command line; nothing in
bench's core imports it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from toolwise.bench.compare_estimate import API_BACKENDS, Estimate, Measured, PromptCounter, estimate, output_budget
from toolwise.bench.problem import Problem, read_jsonl
from toolwise.leaderboard import (
    LeaderboardWarning,
    ResultsError,
    build_leaderboard,
    load_runs,
    model_label,
    parse_model_args,
    render,
    save_html,
)

# Model arguments that change how a run goes, not what it answers: left out of the fingerprint.
RUNTIME_ARGS = frozenset(
    {
        "api_key", "max_concurrency", "progress", "timeout", "max_retries", "retry_base_delay", "retry_max_delay",
        "unreachable_after_s", "max_unanswered", "cache", "cache_dir", "batch_size", "device", "tool_workers",
        "prices", "price_in", "price_out",
    }
)  # fmt: skip
SECRET_ARGS = ("api_key",)
CACHING_BACKENDS = frozenset({"openai", "anthropic", "vllm"})  # those that cache responses by default
SETTINGS_FILE = "settings.json"
PLAN_FILE = "compare.json"
FORMATS = {"markdown": ".md", "latex": ".tex", "csv": ".csv"}


class CompareError(Exception):
    """A comparison that cannot start as asked (a message for the user)."""


@dataclass(frozen=True)
class ModelSpec:
    """One ``--model``: lm-eval ``--model_args`` for the toolwise model, plus an optional display ``name=``."""

    args: dict[str, str]
    name: str

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        args = parse_model_args(text)
        if "backend" not in args:
            raise CompareError(f"--model {text!r}: needs backend=... (hf, vllm, openai, anthropic, oracle, ...)")
        name = args.pop("name", "") or model_label({"model_args": args})
        return cls(args, name)

    @property
    def backend(self) -> str:
        return self.args["backend"]

    @property
    def is_api(self) -> bool:
        return self.backend in API_BACKENDS

    @property
    def label(self) -> str:
        """What the leaderboard calls the run before ``name=`` renames it."""
        return model_label({"model_args": self.args})

    def model_args(self) -> str:
        """``--model_args`` as passed to lm-eval: secrets left out (they travel in the environment)."""
        return ",".join(f"{k}={v}" for k, v in self.args.items() if k not in SECRET_ARGS)

    def identity(self) -> dict[str, str]:
        return {k: v for k, v in sorted(self.args.items()) if k not in RUNTIME_ARGS}

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "_", self.name).strip("_") or "model"


@dataclass(frozen=True)
class Settings:
    """The lm-eval flags every run of the comparison shares."""

    tasks: list[str]
    limit: float | None = None
    gen_kwargs: dict[str, str] = field(default_factory=dict)
    repeats: int = 1
    seed: int = 0
    num_fewshot: int | None = None
    include_path: str | None = None


@dataclass
class Job:
    """One model on one task, one repeat."""

    model: ModelSpec
    task: str
    repeat: int  # 1..k
    settings: Settings
    problems: list[Problem]
    task_digest: str
    budget: int
    out: Path
    estimate: Estimate | None = None
    status: str = "to run"  # to run | done | incomplete (some problems failed) | failed | stopped (cost cap)
    cost_usd: float = 0.0

    @property
    def seed(self) -> int | None:
        return self.settings.seed + self.repeat - 1 if self.settings.repeats > 1 else None

    def gen_kwargs(self) -> dict[str, str]:
        kwargs = dict(self.settings.gen_kwargs)
        if self.seed is not None:
            kwargs["seed"] = str(self.seed)
        return kwargs

    def fingerprint_payload(self) -> dict[str, Any]:
        return {
            "model": self.model.identity(),
            "task": self.task,
            "task_data": self.task_digest,
            "limit": self.settings.limit,
            "gen_kwargs": self.gen_kwargs(),
            "num_fewshot": self.settings.num_fewshot,
            "seed": self.seed,
            "versions": {name: _version(name) for name in ("toolwise", "lm_eval")},
        }

    @property
    def fingerprint(self) -> str:
        text = json.dumps(self.fingerprint_payload(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def folder(self) -> Path:
        return self.out / "runs" / self.model.slug / self.task / self.fingerprint

    def argv(self) -> list[str]:
        """The lm-eval flags of this run: the same for every model but ``--model_args``."""
        argv = ["--model", "toolwise", "--model_args", self.model_args(), "--tasks", self.task]
        argv += ["--output_path", str(self.folder), "--log_samples"]
        if self.settings.limit is not None:
            argv += ["--limit", _number(self.settings.limit)]
        if self.gen_kwargs():
            argv += ["--gen_kwargs", ",".join(f"{k}={v}" for k, v in self.gen_kwargs().items())]
        if self.seed is not None:
            argv += ["--seed", f"{self.seed},{self.seed},{self.seed},1234"]  # same few-shot draw for every repeat
        if self.settings.num_fewshot is not None:
            argv += ["--num_fewshot", str(self.settings.num_fewshot)]
        if self.settings.include_path:
            argv += ["--include_path", self.settings.include_path]
        return argv

    def model_args(self) -> str:
        """The model's arguments; a caching backend keeps its responses in OUT/cache/<model> unless told
        otherwise (a resumed run finds them there, and two models never wait on one cache file)."""
        args = self.model.model_args()
        if self.model.backend in CACHING_BACKENDS and not {"cache", "cache_dir"} & set(self.model.args):
            args += f",cache_dir={self.out / 'cache' / self.model.slug}"
        return args

    def command(self) -> str:
        return " ".join(["toolwise-eval", *(_quote(a) for a in self.argv())])

    def results_files(self) -> list[Path]:
        return sorted(self.folder.rglob("results_*.json")) if self.folder.exists() else []

    def finished(self) -> bool:
        """Results for this task are in the folder, written under this fingerprint."""
        settings = self.folder / SETTINGS_FILE
        if not settings.exists():
            return False
        try:
            if json.loads(settings.read_text())["fingerprint"] != self.fingerprint:
                return False
        except (ValueError, KeyError):
            return False
        return any(self.task in _results(path).get("results", {}) for path in self.results_files())

    def _metric(self, name: str) -> float:
        """A metric of the newest results of this run (0 when absent)."""
        for path in reversed(self.results_files()):
            metrics = _results(path).get("results", {}).get(self.task, {})
            if f"{name},none" in metrics:
                return float(metrics[f"{name},none"])
        return 0.0

    def measured_cost(self) -> float:
        return self._metric("cost_usd")

    def failed_problems(self) -> int:
        """Problems whose conversation ended on a backend or reply error: a rerun asks them again."""
        return round(self._metric("n_failed"))

    def describe(self) -> str:
        repeat = f" (repeat {self.repeat})" if self.settings.repeats > 1 else ""
        return f"{self.model.name} on {self.task}{repeat}"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and value >= 1 else str(value)


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[A-Za-z0-9_./,=:+-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


def _results(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# -- the plan ----------------------------------------------------------------------------------------------------


def _task_entries(settings: Settings) -> dict[str, Any]:
    """lm-eval's index of the toolwise tasks (and ``--include_path``), without its 14k built-ins."""
    from lm_eval.tasks import TaskManager

    from toolwise.bench.lmeval_hooks import tasks_dir

    paths = [tasks_dir(), *([settings.include_path] if settings.include_path else [])]
    return TaskManager(include_path=paths, include_defaults=False).task_index


def expand_tasks(names: list[str], index: dict[str, Any]) -> list[str]:
    """Task names with groups and tags (``scitool``) replaced by their tasks, in order, once each."""
    tasks: list[str] = []
    for name in names:
        entry = index.get(name)
        if entry is None:
            raise CompareError(f"unknown task {name!r}; `toolwise tasks` lists them (add --include-path for your own)")
        members = sorted(entry.tags) if getattr(entry, "tags", None) and entry.yaml_path is None else [name]
        tasks += [t for t in members if t not in tasks]
    return tasks


def task_problems(task: str, index: dict[str, Any]) -> tuple[list[Problem], int | None]:
    """The task's problems (its jsonl) and its output budget (``max_gen_toks``)."""
    import importlib.resources

    entry = index[task]
    config = entry.cfg or {}
    budget = (config.get("generation_kwargs") or {}).get("max_gen_toks")
    kwargs = config.get("dataset_kwargs") or {}
    if "package" in kwargs and "file" in kwargs:
        path = Path(str(importlib.resources.files(kwargs["package"]).joinpath(kwargs["file"])))
    elif "data_file" in kwargs:
        path = Path(kwargs["data_file"])
    else:
        path = None
    if path is None or not path.exists():
        from lm_eval.tasks import get_task_dict

        from toolwise.bench.problem import problem_from_doc

        try:
            loaded = get_task_dict([task], _manager_for(entry))[task]
            return [problem_from_doc(doc) for doc in loaded.eval_docs], budget
        except Exception as exc:  # data on the hub while offline, a missing local copy
            raise CompareError(
                f"{task}: its problems could not be loaded to plan the comparison ({type(exc).__name__}: {exc}); "
                "see the task's YAML for where its data comes from"
            ) from None
    return read_jsonl(path), budget


def _manager_for(entry: Any) -> Any:
    from lm_eval.tasks import TaskManager

    from toolwise.bench.lmeval_hooks import tasks_dir

    return TaskManager(include_path=[tasks_dir(), str(Path(entry.yaml_path).parent)], include_defaults=False)


def _limited(problems: list[Problem], limit: float | None) -> list[Problem]:
    if limit is None:
        return problems
    count = int(len(problems) * limit) if limit < 1 else int(limit)
    return problems[:count]


def _digest(problems: list[Problem]) -> str:
    text = json.dumps([p.to_dict() for p in problems], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan(models: list[ModelSpec], settings: Settings, out: Path) -> list[Job]:
    """Every model x task x repeat, in run order, each knowing whether its results are already there."""
    names = [m.name for m in models]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise CompareError(f"two --model give the name {', '.join(doubled)}; add name=... to one of them")
    index = _task_entries(settings)
    tasks = expand_tasks(settings.tasks, index)
    per_task = {}
    for task in tasks:
        problems, budget = task_problems(task, index)
        problems = _limited(problems, settings.limit)
        per_task[task] = (problems, _digest(problems), budget)
    jobs = []
    for model in models:
        for task in tasks:
            problems, digest, budget = per_task[task]
            out_budget = output_budget(model.args, settings.gen_kwargs, budget)
            for repeat in range(1, settings.repeats + 1):
                job = Job(model, task, repeat, settings, problems, digest, out_budget, out)
                if job.finished():
                    job.cost_usd = job.measured_cost()
                    job.status = "done" if job.failed_problems() == 0 else "incomplete"
                jobs.append(job)
    return jobs


def measured_averages(job: Job) -> Measured | None:
    """Per-problem tokens, seconds and tool rate of any finished run of this model on this task in OUT."""
    task_folder = job.out / "runs" / job.model.slug / job.task
    for settings_file in sorted(task_folder.glob(f"*/{SETTINGS_FILE}")):
        try:
            recorded = json.loads(settings_file.read_text())
        except ValueError:
            continue
        if recorded.get("settings", {}).get("model") != job.model.identity():
            continue
        for path in sorted(settings_file.parent.rglob("results_*.json")):
            data = _results(path)
            metrics = data.get("results", {}).get(job.task)
            n = (data.get("n-samples", {}).get(job.task) or {}).get("effective")
            if not metrics or not n or "tokens_in,none" not in metrics:
                continue
            seconds = float(data.get("total_evaluation_time_seconds") or 0.0)
            return Measured(
                tokens_in=float(metrics["tokens_in,none"]) / n,
                tokens_out=float(metrics["tokens_out,none"]) / n,
                seconds=seconds / n,
                tool_rate=float(metrics.get("tool_rate,none", 0.5)),
            )
    return None


def price_jobs(jobs: list[Job]) -> None:
    """Attach an estimate to every job (one tokenizer load per model)."""
    counters: dict[str, PromptCounter] = {}
    for job in jobs:
        measured = measured_averages(job)
        counter = None
        if measured is None and job.model.backend not in ("oracle", "always", "never"):
            counter = counters.setdefault(job.model.name, PromptCounter(job.model.backend, job.model.args))
        job.estimate = estimate(job.model.backend, job.model.args, job.problems, job.budget, counter, measured)


def expected_wall_seconds(jobs: list[Job]) -> float:
    """API models in parallel with each other and with the local ones; local models one after another."""
    lanes: dict[str, float] = {}
    for job in jobs:
        if job.status == "done" or job.estimate is None:
            continue
        lane = job.model.name if job.model.is_api else "local"
        lanes[lane] = lanes.get(lane, 0.0) + job.estimate.seconds
    return max(lanes.values(), default=0.0)


# -- running -----------------------------------------------------------------------------------------------------

Runner = Callable[[Job, Path], int]


def run_subprocess(job: Job, log: Path) -> int:
    """The run as its own ``toolwise-eval`` process (lm_eval with toolwise registered); a key goes in its env."""
    env = dict(os.environ)
    env.pop("TOOLWISE_API_KEY", None)
    if job.model.args.get("api_key"):
        env["TOOLWISE_API_KEY"] = job.model.args["api_key"]
    code = "from toolwise.bench.lmeval_hooks import lm_eval_main; lm_eval_main()"
    with log.open("w", encoding="utf-8") as stream:
        return subprocess.run(
            [sys.executable, "-c", code, *job.argv()], stdout=stream, stderr=subprocess.STDOUT, env=env, check=False
        ).returncode


_IN_PROCESS = threading.Lock()


def run_in_process(job: Job, log: Path) -> int:
    """The run through lm-eval's own command-line code in this process (no start-up cost; tests, notebooks)."""
    from lm_eval._cli.harness import HarnessCLI

    from toolwise.bench.lmeval_hooks import install

    if job.model.args.get("api_key"):
        raise CompareError("--in-process takes no api_key= (it would be saved); set the provider's key variable")
    with _IN_PROCESS:
        install(force=True)
        cli = HarnessCLI()
    # HarnessCLI.parse_args reads sys.argv, which threads share; its parser takes the flags directly.
    args = cli._parser.parse_args(["run", *job.argv()])
    try:
        cli.execute(args)
    except Exception as exc:
        with log.open("a", encoding="utf-8") as stream:
            stream.write(f"{type(exc).__name__}: {exc}\n")
        return 1
    return 0


@contextlib.contextmanager
def _in_process_session(out: Path) -> Any:
    """lm-eval's tables and logs go to OUT/lm_eval-in-process.log, not among ours; and lm-eval's 14k built-in
    tasks are not indexed (7-16 s a run): the plan found every task without them, and the toolwise hook skips
    that index when the command line names toolwise tasks only, so the command line it reads says so."""
    saved_argv = sys.argv
    with (out / "lm_eval-in-process.log").open("a", encoding="utf-8") as log:
        sys.argv = ["lm_eval", "--tasks", "scitool"]
        try:
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                yield
        finally:
            sys.argv = saved_argv


def _warm_imports(jobs: list[Job]) -> None:
    """Import what the runs import, once, before the lanes' threads start: transformers' lazy module is not
    safe to import from two threads at once (one of them sees a half-built module)."""
    import importlib

    import transformers

    from toolwise.bench.backends import BACKENDS

    _ = transformers.PreTrainedTokenizerBase
    for name in ("lm_eval.evaluator", "lm_eval.loggers", "lm_eval.models", "toolwise.bench.lmeval_model"):
        importlib.import_module(name)
    for backend in sorted({job.model.backend for job in jobs if job.model.backend in BACKENDS}):
        importlib.import_module(BACKENDS[backend].partition(":")[0])


@dataclass
class Budget:
    """The cost cap: a run starts only if what finished runs cost, plus the estimates of those running and
    its own, stays within ``cap``."""

    cap: float | None
    spent: float = 0.0
    reserved: float = 0.0
    stopped_at: Job | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, job: Job) -> bool:
        with self.lock:
            if self.stopped_at is not None:
                return False
            if self.cap is None:
                return True
            cost = job.estimate.cost_usd if job.estimate is not None else None
            if cost is None or self.spent + self.reserved + cost > self.cap:
                self.stopped_at = job
                return False
            self.reserved += cost
            return True

    def settle(self, job: Job) -> None:
        with self.lock:
            cost = job.estimate.cost_usd if job.estimate is not None and job.estimate.cost_usd is not None else 0.0
            if self.cap is not None:
                self.reserved -= cost
            self.spent += job.cost_usd


def _write_settings(job: Job) -> None:
    job.folder.mkdir(parents=True, exist_ok=True)
    record = {
        "fingerprint": job.fingerprint,
        "settings": job.fingerprint_payload(),
        "model": job.model.name,
        "command": job.command(),
    }
    (job.folder / SETTINGS_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _lane(jobs: list[Job], budget: Budget, runner: Runner, report: Callable[[str], None]) -> None:
    for job in jobs:
        if job.status == "done":
            continue
        if not budget.admit(job):
            job.status = "stopped"
            continue
        _write_settings(job)
        log = job.folder / "lm_eval.log"
        report(f"running {job.describe()}: {job.command()}")
        code = runner(job, log)
        if code == 0 and job.finished():
            job.cost_usd = job.measured_cost()
            failed = job.failed_problems()
            job.status = "done" if failed == 0 else "incomplete"
            report(
                f"finished {job.describe()} ({_money(job.cost_usd)})"
                + (f"; {failed} problems failed" if failed else "")
            )
        else:
            job.status = "failed"
            report(f"failed {job.describe()} (exit {code}); see {log}")
        budget.settle(job)


def run_jobs(jobs: list[Job], budget: Budget, runner: Runner, report: Callable[[str], None]) -> None:
    """Each API model in its own thread (concurrently with each other); local models one at a time in another."""
    budget.spent = sum(job.cost_usd for job in jobs if job.status in ("done", "incomplete"))
    lanes: dict[str, list[Job]] = {}
    for job in jobs:
        lanes.setdefault(job.model.name if job.model.is_api else "local", []).append(job)
    threads = [
        threading.Thread(target=_lane, args=(lane, budget, runner, report), daemon=True) for lane in lanes.values()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def write_leaderboard(
    jobs: list[Job], out: Path, baseline: str | None, n_boot: int, report: Callable[[str], None]
) -> str | None:
    """All formats into OUT/leaderboard from the finished runs of this plan; returns the Markdown."""
    done = [job for job in jobs if job.status in ("done", "incomplete")]
    if not done:
        return None
    renames = {job.model.label: job.model.name for job in done if job.model.label != job.model.name}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeaderboardWarning)
        runs = load_runs(sorted({path for job in done for path in job.results_files()}), rename=renames)
        board = build_leaderboard(
            runs, baseline=baseline, tasks=_ordered_tasks(done), n_boot=n_boot, allow_failed=True
        )  # runs with failed problems are shown, marked; the command says to rerun them
    folder = out / "leaderboard"
    folder.mkdir(parents=True, exist_ok=True)
    for fmt, suffix in FORMATS.items():
        (folder / f"leaderboard{suffix}").write_text(render(board, fmt), encoding="utf-8")
    written = save_html(board, folder / "leaderboard.html", plots=False)
    report(f"wrote {folder}/leaderboard.md, .tex, .csv and .html (+{len(written) - 1} transcript pages)")
    return render(board, "markdown")


def _ordered_tasks(jobs: list[Job]) -> list[str]:
    return list(dict.fromkeys(job.task for job in jobs))


# -- the command -------------------------------------------------------------------------------------------------


def _money(value: float | None) -> str:
    if value is None:
        return "unpriced"
    return "$0" if value == 0 else f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def estimate_table(jobs: list[Job]) -> Table:
    table = Table(title="toolwise compare: estimate per model and task (output tokens: the budget unless measured)")
    for column in ("model", "task", "repeat", "problems", "input tok", "output tok", "cost", "wall", "basis", "status"):
        table.add_column(column, justify="left" if column in ("model", "task", "basis", "status") else "right")
    for job in jobs:
        e = job.estimate
        assert e is not None
        table.add_row(
            job.model.name, job.task, str(job.repeat), str(e.problems), f"{e.tokens_in:,}", f"{e.tokens_out:,}",
            _money(e.cost_usd), _duration(e.seconds), e.basis, job.status,
        )  # fmt: skip
    return table


def remaining_cost(jobs: list[Job]) -> float | None:
    costs = [job.estimate.cost_usd for job in jobs if job.status != "done" and job.estimate is not None]
    return None if any(c is None for c in costs) else float(sum(c for c in costs if c is not None))


def _write_plan(out: Path, jobs: list[Job], settings: Settings, report: Callable[[str], None]) -> None:
    """OUT/compare.json: the current plan; a note when it differs from the previous one."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / PLAN_FILE
    record = {
        "settings": {k: v for k, v in settings.__dict__.items()},
        "models": {job.model.name: job.model.identity() for job in jobs},
        "runs": [
            {"model": job.model.name, "task": job.task, "repeat": job.repeat, "folder": str(job.folder.relative_to(out)),
             "status": job.status, "cost_usd": job.cost_usd}
            for job in jobs
        ],
    }  # fmt: skip
    if path.exists():
        previous = _results(path)
        if previous.get("settings") != record["settings"] or previous.get("models") != record["models"]:
            report(
                "settings differ from the last comparison in this folder: its finished runs stay in their own folders "
                "and are not mixed into this leaderboard"
            )
    path.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")


def compare(
    models: list[str],
    settings: Settings,
    out: Path,
    *,
    baseline: str | None = None,
    dry_run: bool = False,
    max_cost: float | None = None,
    in_process: bool = False,
    runner: Runner | None = None,
    n_boot: int = 2000,
    console: Console | None = None,
) -> int:
    """The whole comparison; returns the exit code (0 done, 1 some run failed, 3 stopped by the cost cap).

    Each run is a ``toolwise-eval`` process, or with ``in_process`` lm-eval's command-line code in this
    process; ``runner`` replaces either (tests wrap ``run_in_process`` to watch the scheduling)."""
    runner = runner or (run_in_process if in_process else run_subprocess)
    # Bound now (an in-process run redirects sys.stderr); wide enough for the estimate table in a log file.
    console = console or Console(file=sys.stderr, width=None if sys.stderr.isatty() else 150)

    def report(text: str) -> None:
        console.print(text, highlight=False, soft_wrap=True)

    specs = [ModelSpec.parse(text) for text in models]
    if baseline is not None:
        chosen = [s for s in specs if baseline in (s.name, s.label, s.model_args())]
        if not chosen:
            raise CompareError(f"--baseline {baseline!r} is none of the models: {', '.join(s.name for s in specs)}")
        baseline = chosen[0].name
    jobs = plan(specs, settings, out)
    price_jobs(jobs)
    left = remaining_cost(jobs)
    wall = expected_wall_seconds(jobs)
    done = sum(job.status == "done" for job in jobs)  # incomplete runs are retried
    console.print(estimate_table(jobs))
    report(
        f"{len(jobs)} runs, {done} already done; to run: {_money(left)} estimated, about {_duration(wall)} "
        "(API models in parallel, local ones one after another)"
    )
    pending = [job for job in jobs if job.status != "done"]
    if pending:
        report(f"each run is one lm-eval command, e.g. {pending[0].command()}")
    if dry_run:
        return 0
    _write_plan(out, jobs, settings, report)
    if max_cost is not None:
        unpriced = sorted(
            {j.model.name for j in jobs if j.status != "done" and j.estimate and j.estimate.cost_usd is None}
        )
        if unpriced:
            raise CompareError(
                f"--max-cost cannot guard {', '.join(unpriced)}: no price known; pass prices=FILE or "
                "price_in=/price_out= in its --model"
            )
    budget = Budget(max_cost)
    with contextlib.ExitStack() as stack:
        if in_process:
            _warm_imports(jobs)
            stack.enter_context(_in_process_session(out))
        run_jobs(jobs, budget, runner, report)
    _write_plan(out, jobs, settings, lambda _: None)
    markdown = write_leaderboard(jobs, out, baseline if _has_baseline(jobs, baseline) else None, n_boot, report)
    if markdown:
        console.print(markdown.split("\n### ")[0], highlight=False, markup=False)
    failed = [job for job in jobs if job.status in ("failed", "incomplete")]
    stopped = [job for job in jobs if job.status == "stopped"]
    if stopped:
        next_job = budget.stopped_at or stopped[0]
        need = remaining_cost(jobs) or 0.0
        cost = next_job.estimate.cost_usd if next_job.estimate else None
        report(
            f"stopped by --max-cost {_money(max_cost)}: finished runs cost {_money(budget.spent)}; the next, "
            f"{next_job.describe()}, is estimated at {_money(cost)}. {len(stopped)} run(s) not started, "
            f"estimated {_money(need)} in all. Nothing is lost: rerun the same command with --max-cost "
            f"{_round_up(budget.spent + need)} to finish them (finished runs are skipped)."
        )
    if failed:
        report(
            f"{len(failed)} run(s) failed or had failed problems: "
            + "; ".join(f"{j.describe()}: {j.folder / 'lm_eval.log'}" for j in failed)
        )
        report("rerun the same command to retry them; answered requests come back from the response cache")
    return 1 if failed else 3 if stopped else 0


def _has_baseline(jobs: list[Job], baseline: str | None) -> bool:
    return baseline is not None and any(j.model.name == baseline and j.results_files() for j in jobs)


def _round_up(value: float) -> str:
    for step in (0.01, 0.1, 1.0, 10.0):
        if value < 100 * step:
            return f"{(int(value / step) + 1) * step:.2f}"
    return f"{int(value) + 1}"


def _parse_pairs(text: str | None) -> dict[str, str]:
    return dict(parse_model_args(text)) if text else {}


def compare_command(
    models: Annotated[
        list[str],
        typer.Option(
            "--model",
            "-m",
            help="lm-eval --model_args of one model, e.g. backend=openai,model=gpt-4o; "
            "repeat for each model; name=LABEL sets its leaderboard name.",
            show_default=False,
        ),
    ],
    tasks: Annotated[
        list[str], typer.Option("--tasks", "-t", help="Tasks or groups (scitool); repeat or comma-separate.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: runs, settings, leaderboard.")],
    limit: Annotated[float | None, typer.Option(help="lm-eval --limit: problems per task (or a fraction).")] = None,
    gen_kwargs: Annotated[
        str | None, typer.Option("--gen-kwargs", help="lm-eval --gen_kwargs, e.g. temperature=0.7,do_sample=true.")
    ] = None,
    repeats: Annotated[int, typer.Option(min=1, help="Runs per model and task, seeds SEED..SEED+k-1 (sample!).")] = 1,
    seed: Annotated[int, typer.Option(help="First repeat's seed (gen_kwargs seed and lm-eval --seed).")] = 0,
    baseline: Annotated[
        str | None, typer.Option(help="One of the models (its name): paired differences to it.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Price the plan and stop: tokens, cost, time.")] = False,
    max_cost: Annotated[
        float | None,
        typer.Option("--max-cost", min=0.0, help="USD: start no run that would take the spending past it."),
    ] = None,
    num_fewshot: Annotated[int | None, typer.Option("--num-fewshot", help="lm-eval --num_fewshot.")] = None,
    include_path: Annotated[
        str | None, typer.Option("--include-path", help="lm-eval --include_path: a folder of your own tasks.")
    ] = None,
    in_process: Annotated[
        bool, typer.Option("--in-process", help="Run lm-eval in this process (no start-up per run; no isolation).")
    ] = False,
    n_boot: Annotated[int, typer.Option("--n-boot", min=0, help="Bootstrap replicates for intervals.")] = 2000,
) -> None:
    """Run every model on every task through the same lm-eval command (--log_samples), then write the
    leaderboard (OUT/leaderboard: Markdown, LaTeX, CSV, HTML with transcripts). Resumable: rerun the same
    command to skip finished runs and retry the rest. --dry-run prices it first; --max-cost caps it."""
    names = [t.strip() for item in tasks for t in item.split(",") if t.strip()]
    if repeats > 1 and not _samples(gen_kwargs):
        Console(stderr=True).print(
            "[yellow]warning:[/] --repeats with greedy decoding: the repeats will agree; pass --gen-kwargs "
            "temperature=...,do_sample=true to measure the spread"
        )
    settings = Settings(names, limit, _parse_pairs(gen_kwargs), repeats, seed, num_fewshot, include_path)
    try:
        code = compare(
            models, settings, out, baseline=baseline, dry_run=dry_run, max_cost=max_cost,
            in_process=in_process, n_boot=n_boot,
        )  # fmt: skip
    except (CompareError, ResultsError) as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def _samples(gen_kwargs: str | None) -> bool:
    pairs = _parse_pairs(gen_kwargs)
    try:
        temperature = float(pairs.get("temperature", 0) or 0)
    except ValueError:
        temperature = 0.0
    return pairs.get("do_sample", "").lower() == "true" or temperature > 0
