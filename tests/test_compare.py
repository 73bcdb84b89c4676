"""``toolwise compare`` end to end on CPU: fake OpenAI/Anthropic servers, scripted policies and the tiny model.

Each comparison runs the toy tasks (12 multiplications, asked without and with tools) in-process through
lm-eval's own command-line code, as ``toolwise-eval`` would run them, into a fresh output folder.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from toolwise.bench import compare as cmp
from toolwise.bench.backends._fake_api import FakeChatServer, FakeHTTPError, FakeReply, FakeRequest
from toolwise.leaderboard import build_leaderboard, load_runs

TASKS = ["toy_tool", "toy_numeric_tool"]
QUESTION = re.compile(r"What is (-?\d+) times (-?\d+)\?")
OPTION = re.compile(r"^([A-D])\. (-?[\d.]+)$", re.MULTILINE)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
FAST = "retry_base_delay=0.01,retry_max_delay=0.05,max_retries=2,progress=false"


def toy_model(request: FakeRequest) -> FakeReply:
    """Knows a x b when a + seed is even (seed 0 when greedy); with tools it calls toy_multiply on the rest,
    then answers from the result. MCQ answers name the option holding the product."""
    text = request.first_user_text()
    a, b = (int(x) for x in QUESTION.search(text).groups())  # type: ignore[union-attr]
    options = {float(value): letter for letter, value in OPTION.findall(text)}

    def answer(value: float) -> FakeReply:
        if not options:
            return FakeReply(text=f"so the answer is {value:g}")
        wrong = next(letter for option, letter in options.items() if option != a * b)
        return FakeReply(text=f"so the answer is {options.get(value, wrong)}")

    results = request.tool_results()
    if results:
        return answer(float(NUMBER.findall(results[-1])[-1]))
    if (a + int(request.body.get("seed") or 0)) % 2 == 0:
        return answer(float(a * b))
    if request.tools:
        return FakeReply(tool_calls=[("toy_multiply", {"a": a, "b": b})])
    return answer(float(2 * a * b))


@pytest.fixture
def api_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keys for the fakes, and a private response cache."""
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-0123456789")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-0123456789")
    monkeypatch.setenv("TOOLWISE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def openai_model(server: FakeChatServer, extra: str = "") -> str:
    return f"backend=openai,model=gpt-4o,base_url={server.openai_url},{FAST}" + (f",{extra}" if extra else "")


def anthropic_model(server: FakeChatServer, extra: str = "") -> str:
    spec = f"backend=anthropic,model=claude-3-5-sonnet-20241022,base_url={server.anthropic_url},{FAST}"
    return spec + (f",{extra}" if extra else "")


def settings(toy_task_dir: Path, **changes: Any) -> cmp.Settings:
    return cmp.Settings(**({"tasks": TASKS, "include_path": str(toy_task_dir)} | changes))


def run(models: list[str], config: cmp.Settings, out: Path, **options: Any) -> tuple[int, str]:
    """The comparison with its console captured: (exit code, what it printed)."""
    console = Console(record=True, width=200, file=open(os.devnull, "w"))  # noqa: SIM115
    options.setdefault("in_process", True)
    options.setdefault("n_boot", 200)
    code = cmp.compare(models, config, out, console=console, **options)
    return code, console.export_text()


def measured(out: Path, metric: str) -> dict[tuple[str, str], float]:
    """A metric of every finished run in OUT: (model folder, task) -> value."""
    found = {}
    for path in out.glob("runs/*/*/*/*/results_*.json"):
        data = json.loads(path.read_text())
        for task, metrics in data["results"].items():
            found[(path.parents[3].name, task)] = metrics[f"{metric},none"]
    return found


def test_two_api_models_on_two_tasks_run_concurrently_and_make_one_leaderboard(
    toy_task_dir: Path, api_env: Path, tmp_path: Path
) -> None:
    meeting = threading.Barrier(2, timeout=60)  # both API lanes must be inside a run at the same time

    def together(job: cmp.Job, log: Path) -> int:
        if job.task == TASKS[0]:
            meeting.wait()
        return cmp.run_in_process(job, log)

    out = tmp_path / "out"
    with FakeChatServer(toy_model) as server:
        models = [openai_model(server), anthropic_model(server, "name=claude")]
        code, printed = run(models, settings(toy_task_dir), out, runner=together, baseline="gpt-4o")
    assert code == 0, printed
    board = (out / "leaderboard" / "leaderboard.md").read_text()
    assert "| Model | Overall | toy | toy_numeric |" in board
    assert re.search(r"\| gpt-4o \| \*\*100\.0\*\* \| \*\*100\.0\*\* \| \*\*100\.0\*\* \|", board)
    assert "### Difference to gpt-4o" in board and "| claude | +0.0 [+0.0, +0.0]" in board
    assert "### toy_numeric\n\n| Model | score | no tool | tools | TUA | tool rate | ET/EN/HT/HN |" in board
    # same lm-eval flags for both models, --log_samples included; only --model_args differ
    commands = [json.loads(p.read_text())["command"] for p in sorted(out.glob("runs/*/*/*/settings.json"))]
    assert len(commands) == 4 and all("--log_samples" in c and "--include_path" in c for c in commands)
    flags = {re.sub(r"--model_args \S+|--output_path \S+", "", c) for c in commands}
    assert len(flags) == 2  # one per task
    page = (out / "leaderboard" / "leaderboard.html").read_text()
    links = re.findall(r'href="(transcripts/[^"]+)"', page)
    assert len(set(links)) == 4
    transcript = (out / "leaderboard" / links[0]).read_text()
    assert "What is 3 times 7?" in transcript and "toy_multiply" in transcript and "Key." in transcript
    assert (out / "leaderboard" / "leaderboard.tex").read_text().count(r"\begin{table*}") == 1 + 2 + 1
    assert "| gpt-4o |" in printed  # the headline is printed at the end


def test_local_models_run_one_at_a_time_and_a_rerun_skips_what_is_done(toy_task_dir: Path, tmp_path: Path) -> None:
    active, most = [0], [0]
    lock = threading.Lock()
    calls: list[str] = []

    def counted(job: cmp.Job, log: Path) -> int:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
            calls.append(job.describe())
        try:
            return cmp.run_in_process(job, log)
        finally:
            with lock:
                active[0] -= 1

    out = tmp_path / "out"
    models = ["backend=oracle", "backend=never", "backend=always"]
    code, _ = run(models, settings(toy_task_dir, limit=4), out, runner=counted)
    assert code == 0 and most[0] == 1 and len(calls) == 6
    calls.clear()
    code, printed = run(models, settings(toy_task_dir, limit=4), out, runner=counted)
    assert code == 0 and calls == [] and "6 runs, 6 already done" in printed
    # other settings: new folders beside the old ones, and the leaderboard reads only the new ones
    code, printed = run(models[:1], settings(toy_task_dir, limit=6), out, runner=counted)
    assert code == 0 and len(calls) == 2 and "settings differ from the last comparison" in printed
    assert len(list(out.glob("runs/oracle/toy_tool/*/settings.json"))) == 2
    assert "(n=6" not in (out / "leaderboard" / "leaderboard.md").read_text()
    csv = (out / "leaderboard" / "leaderboard.csv").read_text()
    assert ",toy_tool,all,acc_choice,1.0,1.0,1.0,6," in csv and "never" not in csv


def test_the_fingerprint_ignores_how_a_run_goes_but_not_what_shapes_its_answers(toy_task_dir: Path) -> None:
    def fingerprint(model: str, **changes: Any) -> str:
        job = cmp.plan([cmp.ModelSpec.parse(model)], settings(toy_task_dir, tasks=["toy_tool"], **changes), Path("/x"))
        return job[0].fingerprint

    base = fingerprint("backend=openai,model=gpt-4o")
    assert fingerprint("backend=openai,model=gpt-4o,max_concurrency=2,api_key=sk-abc,timeout=5") == base
    assert fingerprint("backend=openai,model=gpt-4o-mini") != base
    assert fingerprint("backend=openai,model=gpt-4o", limit=3) != base
    assert fingerprint("backend=openai,model=gpt-4o", gen_kwargs={"temperature": "0.7"}) != base
    spec = cmp.ModelSpec.parse("backend=openai,model=gpt-4o,api_key=sk-secret-123")
    assert "sk-secret" not in spec.model_args() and spec.name == "gpt-4o"
    with pytest.raises(cmp.CompareError, match="two --model give the name oracle"):
        cmp.plan([cmp.ModelSpec.parse("backend=oracle")] * 2, settings(toy_task_dir), Path("/x"))
    assert cmp.expand_tasks(["scitool"], cmp._task_entries(cmp.Settings(["scitool"])))[:2] == [
        "climate_open_tool",
        "climate_tool",
    ]


def test_a_run_that_dies_midway_resumes_from_the_response_cache(
    toy_task_dir: Path, api_env: Path, tmp_path: Path
) -> None:
    served = [0]

    def dies_after_ten(request: FakeRequest) -> FakeReply:
        served[0] += 1
        if served[0] > 10:
            raise FakeHTTPError(401, "invalid x-api-key")  # every request fails alike: the run stops
        return toy_model(request)

    out = tmp_path / "out"
    config = settings(toy_task_dir, tasks=["toy_numeric_tool"])
    with FakeChatServer(dies_after_ten) as server:
        model = openai_model(server, "max_concurrency=1")
        code, printed = run([model], config, out)
        assert code == 1 and "rerun the same command" in printed
        answered_first = set(server.answered)
        assert len(answered_first) == 10
        server.script = toy_model
        server.reset_counts()
        code, printed = run([model], config, out)
        assert code == 0, printed
        resent = answered_first & set(server.attempts)
        assert resent == set()  # every answered request came back from the cache
        assert sum(server.attempts.values()) == 12 * 2 + 6 - 10
    assert measured(out, "acc_choice") == {("gpt-4o", "toy_numeric_tool"): 1.0}


def cheap_run_tokens(out: Path) -> tuple[float, float]:
    tokens_in = sum(measured(out, "tokens_in").values())
    tokens_out = sum(measured(out, "tokens_out").values())
    return tokens_in, tokens_out


# The fake server counts a request's tokens as len(JSON of its messages) / 4 and leaves the tool schemas out
# (a real API bills them; the estimate counts them and says how many); the estimate assumes one tool round of
# 150 tokens on half the problems, the fake model makes one of about 40 on half of them.
INPUT_TOLERANCE = 0.25  # cold estimate less the tool schemas vs the fake's count
MEASURED_TOLERANCE = 0.15  # estimate from a 4-problem pilot vs the 12-problem run


def test_a_dry_run_prices_the_plan_within_a_stated_tolerance_of_the_run(
    toy_task_dir: Path, api_env: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    config = settings(toy_task_dir, tasks=["toy_numeric_tool"], gen_kwargs={"max_gen_toks": "64"})
    with FakeChatServer(toy_model) as server:
        model = openai_model(server)
        code, printed = run([model], config, out, dry_run=True)
        assert code == 0 and not (out / "runs").exists() and server.attempts == {}
        [cold] = _estimates(model, config, out)
        assert "toy_numeric_tool" in printed and "estimate" in printed and "to run: $" in printed
        pilot = tmp_path / "pilot"
        run([model], cmp.Settings(**(config.__dict__ | {"limit": 4})), pilot)
        (out / "runs").mkdir(parents=True)
        os.rename(pilot / "runs" / "gpt-4o", out / "runs" / "gpt-4o")  # a pilot in the same folder
        [warm] = _estimates(model, config, out)
        assert run([model], config, out)[0] == 0
    full = [path for path in out.glob("runs/gpt-4o/toy_numeric_tool/*/*/results_*.json")]
    data = max((json.loads(p.read_text()) for p in full), key=lambda d: d["n-samples"]["toy_numeric_tool"]["effective"])
    tokens_in = data["results"]["toy_numeric_tool"]["tokens_in,none"]
    tokens_out = data["results"]["toy_numeric_tool"]["tokens_out,none"]
    cost = data["results"]["toy_numeric_tool"]["cost_usd,none"]
    print(f"\ncold estimate {cold.tokens_in} in ({cold.schema_tokens} tool schemas) / {cold.tokens_out} out, warm {warm.tokens_in} / {warm.tokens_out}, "
          f"measured {tokens_in:.0f} / {tokens_out:.0f} (${cost:.5f})")  # fmt: skip
    assert cold.basis == "estimate" and cold.problems == 12
    assert abs(cold.tokens_in - cold.schema_tokens - tokens_in) <= INPUT_TOLERANCE * tokens_in
    assert cold.tokens_out >= tokens_out  # the budget: an upper bound
    assert warm.basis == "measured"
    assert abs(warm.tokens_in - tokens_in) <= MEASURED_TOLERANCE * tokens_in
    assert abs(warm.tokens_out - tokens_out) <= MEASURED_TOLERANCE * tokens_out
    assert cold.cost_usd is not None and cold.cost_usd >= cost


def _estimates(model: str, config: cmp.Settings, out: Path) -> list[Any]:
    jobs = cmp.plan([cmp.ModelSpec.parse(model)], config, out)
    cmp.price_jobs(jobs)
    return [job.estimate for job in jobs]


def test_a_cost_cap_stops_before_it_is_passed_loses_nothing_and_says_how_to_go_on(
    toy_task_dir: Path, api_env: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    config = settings(toy_task_dir, gen_kwargs={"max_gen_toks": "32"})
    with FakeChatServer(toy_model) as server:
        model = openai_model(server, "price_in=1000,price_out=1000")  # USD per million tokens: cents per run
        jobs = cmp.plan([cmp.ModelSpec.parse(model)], config, out)
        cmp.price_jobs(jobs)
        first, second = (job.estimate.cost_usd for job in jobs)  # type: ignore[union-attr]
        cap = first + 0.5 * second  # room for the first run, not for both
        code, printed = run([model], config, out, max_cost=cap)
        assert code == 3
        assert measured(out, "acc_choice") == {("gpt-4o", "toy_tool"): 1.0}
        assert not list(out.glob("runs/gpt-4o/toy_numeric_tool/*"))  # the second never started
        spent = measured(out, "cost_usd")[("gpt-4o", "toy_tool")]
        assert 0 < spent <= cap
        suggestion = re.search(r"rerun the same command with --max-cost (\S+) to finish", printed.replace("\n", " "))
        assert suggestion and "Nothing is lost" in printed
        print("\n" + printed[printed.index("stopped by --max-cost") :].split("\n\n")[0])
        answered = sum(server.answered.values())
        code, printed = run([model], config, out, max_cost=float(suggestion.group(1)))
        assert code == 0, printed
        assert sum(server.answered.values()) == answered + 12 * 2 + 6  # only the second task's requests
    assert set(measured(out, "acc_choice")) == {("gpt-4o", "toy_tool"), ("gpt-4o", "toy_numeric_tool")}


def test_repeats_with_sampling_show_mean_spread_and_pass_k(toy_task_dir: Path, api_env: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    config = settings(toy_task_dir, tasks=["toy_numeric_tool"], repeats=3, gen_kwargs={"temperature": "0.7"})
    with FakeChatServer(toy_model) as server:
        code, printed = run([openai_model(server), "backend=oracle"], config, out)
    assert code == 0, printed
    seeds = sorted(json.loads(p.read_text())["settings"]["seed"] for p in out.glob("runs/gpt-4o/*/*/settings.json"))
    assert seeds == [0, 1, 2]
    board = build_leaderboard(load_runs([out / "runs"]), n_boot=100)
    assert board.repeats == {("gpt-4o", "toy_numeric_tool"): 3, ("oracle", "toy_numeric_tool"): 3}
    # the fake knows a x b when a + seed is even: each repeat is right without tools on a different half
    assert board.cell("gpt-4o", "toy_numeric_tool", "acc_no_tool")["value"] == pytest.approx(0.5)
    assert board.cell("gpt-4o", "toy_numeric_tool", "acc_choice")["value"] == 1.0
    assert board.cell("gpt-4o", "toy_numeric_tool", "pass_k")["value"] == 1.0
    assert board.cell("oracle", "toy_numeric_tool", "acc_no_tool_sd")["value"] == 0.0  # scripted: no spread
    markdown = (out / "leaderboard" / "leaderboard.md").read_text()
    assert "| pass^k |" in markdown and "(k=3)" in markdown and "±0.0" in markdown
    assert "±: standard deviation across the k repeats" in markdown


def test_the_tiny_model_is_priced_with_its_own_tokenizer_and_run(
    toy_task_dir: Path, tiny_llama_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    config = settings(toy_task_dir, tasks=["toy_tool"], limit=2, gen_kwargs={"max_gen_toks": "8"})
    model = f"backend=hf,pretrained={tiny_llama_dir},name=tiny,max_turns=2"
    [priced] = _estimates(model, config, out)
    code, printed = run([model, "backend=oracle"], config, out)
    assert code == 0, printed
    tokens_in = measured(out, "tokens_in")[("tiny", "toy_tool")]
    print(f"\ntiny model: estimate {priced.tokens_in} prompt tokens, measured {tokens_in:.0f}")
    assert priced.basis == "tokenizer" and priced.cost_usd == 0.0
    # measured: both opening prompts (and a tool round where the random model happened to call);
    # estimate: the same prompts plus an assumed round on half the problems
    assert tokens_in <= priced.tokens_in <= 2 * tokens_in
    assert "| tiny |" in (out / "leaderboard" / "leaderboard.md").read_text()


RUNNER = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[4])
import toy_domain  # registers the toy task's tool, toy_multiply
from toolwise.bench import compare as cmp
sys.exit(cmp.compare(sys.argv[1].split(" "), cmp.Settings(["toy_numeric_tool"], include_path=sys.argv[2]),
                     Path(sys.argv[3]), in_process=True))
"""


def test_a_killed_comparison_resumes_without_repeating_answered_requests(
    toy_task_dir: Path, api_env: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    total = 12 * 2 + 6
    with FakeChatServer(toy_model, latency_s=0.05) as server:
        model = openai_model(server, "max_concurrency=2")
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
        command = [sys.executable, "-c", RUNNER, model, str(toy_task_dir), str(out), str(Path(__file__).parent)]
        first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 240
        while sum(server.answered.values()) < total // 2 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert first.poll() is None, first.communicate()[1][-3000:]
        os.kill(first.pid, signal.SIGKILL)  # no handler, no clean-up
        first.wait()
        answered_before = set(server.answered)
        server.reset_counts()
        code, printed = run([model], cmp.Settings(["toy_numeric_tool"], include_path=str(toy_task_dir)), out)
        assert code == 0, printed
        resent = answered_before & set(server.attempts)
    assert total // 2 <= len(answered_before) < total
    assert len(resent) <= 2  # at most the requests in flight when the signal landed
    assert measured(out, "acc_choice") == {("gpt-4o", "toy_numeric_tool"): 1.0}


def test_digest_names_the_problems(toy_task_dir: Path) -> None:
    jobs = cmp.plan([cmp.ModelSpec.parse("backend=oracle")], settings(toy_task_dir, limit=3), Path("/x"))
    ids = [p.id for p in jobs[0].problems]
    assert ids == ["toy-mcq-000", "toy-mcq-001", "toy-mcq-002"]
    assert jobs[0].task_digest == cmp._digest(jobs[0].problems) != jobs[1].task_digest


def test_the_command_line_prices_a_plan_without_running_it(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from toolwise.bench.cli import app

    args = ["compare", "-m", "backend=oracle", "-m", "backend=openai,model=gpt-4o", "-t", "pde_tool,climate_tool"]
    result = CliRunner().invoke(app, [*args, "--limit", "3", "-o", str(tmp_path / "out"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "gpt-4o" in result.output and "climate_tool" in result.output and "scripted" in result.output
    assert "4 runs, 0 already done; to run: $" in result.output
    assert not (tmp_path / "out").exists()
    bad = CliRunner().invoke(app, ["compare", "-m", "model=gpt-4o", "-t", "pde_tool", "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "needs backend=" in bad.output


def test_each_run_is_a_toolwise_eval_process_by_default(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, printed = run(["backend=oracle"], cmp.Settings(["pde_tool"], limit=2), out, in_process=False)
    assert code == 0, printed
    assert measured(out, "acc_choice") == {("oracle", "pde_tool"): 1.0}
    assert "toolwise summary" in next(out.glob("runs/oracle/pde_tool/*/lm_eval.log")).read_text()
