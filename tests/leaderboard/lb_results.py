"""Write lm-eval 0.4.13-shaped output folders by hand, so leaderboard tests know every number in them.

The key set mirrors a real ``lm_eval --output_path DIR --log_samples`` run (checked against one made with
lm-eval 0.4.13 on this machine): ``DIR/<model_name_sanitized>/results_<stamp>.json`` and
``samples_<task>_<stamp>.jsonl`` sharing the stamp.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

METRIC_NAMES = (
    "acc_no_tool", "acc_no_tool_ci_lo", "acc_no_tool_ci_hi", "acc_choice", "acc_choice_ci_lo", "acc_choice_ci_hi",
    "tool_use_acc", "tool_use_acc_ci_lo", "tool_use_acc_ci_hi", "tool_rate", "tool_calls_per_problem",
    "n_ET", "n_EN", "n_HT", "n_HN",
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """What a model did on one problem: right without tools?, right with tools offered?, called a tool?"""

    problem_id: str
    no_tool: bool
    choice: bool
    used_tool: bool
    difficulty: str = ""
    calls: int | None = None


def outcomes(prefix: str, pattern: str, difficulty: str = "") -> list[Outcome]:
    """Outcomes from a compact pattern: per problem three characters (no_tool, choice, tool) of 1/0, space-separated.

    ``outcomes("pde", "111 100 011")`` = three problems pde-0..pde-2.
    """
    result = []
    for i, triple in enumerate(pattern.split()):
        no_tool, choice, used = (c == "1" for c in triple)
        result.append(Outcome(f"{prefix}-{i:04d}", no_tool, choice, used, difficulty))
    return result


def metrics_from_outcomes(items: list[Outcome], ci: float = 0.1) -> dict[str, float]:
    """Aggregates as toolwise's scoring reports them; intervals are value ± ci (clipped), standing in for its bootstrap."""
    n = len(items)
    et = sum(o.no_tool and o.used_tool for o in items)
    en = sum(o.no_tool and not o.used_tool for o in items)
    ht = sum(not o.no_tool and o.used_tool for o in items)
    hn = sum(not o.no_tool and not o.used_tool for o in items)
    halves = [part for part, total in ((en, et + en), (ht, ht + hn)) if total for part in [part / total]]
    tua = sum(halves) / len(halves)
    values = {
        "acc_no_tool": sum(o.no_tool for o in items) / n,
        "acc_choice": sum(o.choice for o in items) / n,
        "tool_use_acc": tua,
    }
    metrics: dict[str, float] = {}
    for name, value in values.items():
        metrics[name] = value
        metrics[f"{name}_ci_lo"] = max(0.0, value - ci)
        metrics[f"{name}_ci_hi"] = min(1.0, value + ci)
    metrics["tool_rate"] = sum(o.used_tool for o in items) / n
    metrics["tool_calls_per_problem"] = sum(o.calls if o.calls is not None else int(o.used_tool) for o in items) / n
    metrics.update(n_ET=et, n_EN=en, n_HT=ht, n_HN=hn)
    return metrics


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _sample_line(task: str, index: int, outcome: Outcome) -> dict[str, Any]:
    doc = {
        "id": outcome.problem_id,
        "domain": task.removesuffix("_tool"),
        "template": "t",
        "question": f"question {outcome.problem_id}",
        "answer": "A",
        "difficulty": outcome.difficulty,
        "problem": json.dumps({"id": outcome.problem_id}),
    }
    calls = outcome.calls if outcome.calls is not None else int(outcome.used_tool)
    transcripts = [
        json.dumps({"problem_id": outcome.problem_id, "mode": "no_tool", "tool_calls": []}),
        json.dumps({"problem_id": outcome.problem_id, "mode": "choice", "tool_calls": [{"name": "x"}] * calls}),
    ]
    easy = outcome.no_tool
    values: dict[str, Any] = {}
    for name, value in (("acc_no_tool", float(outcome.no_tool)), ("acc_choice", float(outcome.choice))):
        values.update({name: value, f"{name}_ci_lo": value, f"{name}_ci_hi": value})
    pair = [easy, outcome.used_tool]
    values.update(tool_use_acc=pair, tool_use_acc_ci_lo=pair, tool_use_acc_ci_hi=pair)
    values.update(tool_rate=float(outcome.used_tool), tool_calls_per_problem=calls)
    values.update(
        n_ET=int(easy and outcome.used_tool),
        n_EN=int(easy and not outcome.used_tool),
        n_HT=int(not easy and outcome.used_tool),
        n_HN=int(not easy and not outcome.used_tool),
    )
    return {
        "doc_id": index,
        "doc": doc,
        "target": "A",
        "arguments": {"gen_args_0": {"arg_0": doc["question"], "arg_1": {"until": []}}},
        "resps": [[transcripts[0]], [transcripts[1]]],
        "filtered_resps": transcripts,
        "filter": "none",
        "metrics": list(METRIC_NAMES),
        "doc_hash": _sha(json.dumps(doc)),
        "prompt_hash": _sha(doc["question"]),
        "target_hash": _sha("A"),
        **values,
    }


def _folder_name(model_args: dict[str, str]) -> str:
    for key in ("peft", "delta", "pretrained", "model", "path", "engine"):
        if key in model_args:
            return model_args[key].replace("/", "__")
    return "r" + _sha(json.dumps(model_args))[:7]  # lm-eval uses a random id here


def write_run(
    root: Path,
    model_args: dict[str, str],
    tasks: dict[str, list[Outcome] | dict[str, float]],
    *,
    stamp: str = "2026-11-20T10-00-00.000000",
    samples: bool = True,
    limit: int | None = None,
    extra_results: dict[str, dict[str, Any]] | None = None,
    gen_kwargs: dict[str, Any] | None = None,
) -> Path:
    """Write one lm-eval run (results JSON, plus a samples file per task given as outcomes); return the results file.

    ``tasks`` maps a task to its per-problem outcomes, or directly to its aggregate metrics (results only).
    """
    folder = root / _folder_name(model_args)
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    n_samples = {}
    for task, spec in tasks.items():
        metrics = metrics_from_outcomes(spec) if isinstance(spec, list) else dict(spec)
        n = len(spec) if isinstance(spec, list) else int(sum(metrics[k] for k in ("n_ET", "n_EN", "n_HT", "n_HN")))
        entry: dict[str, Any] = {"name": task, "alias": task, "sample_len": n}
        for name, value in metrics.items():
            entry[f"{name},none"] = value
            entry[f"{name}_stderr,none"] = "N/A"
        results[task] = entry
        n_samples[task] = {"original": n, "effective": n}
        if samples and isinstance(spec, list):
            lines = [json.dumps(_sample_line(task, i, o)) for i, o in enumerate(spec)]
            (folder / f"samples_{task}_{stamp}.jsonl").write_text("\n".join(lines) + "\n")
    results.update(extra_results or {})
    date = datetime.fromisoformat(stamp.replace("-", ":").replace(":", "-", 2)).timestamp()
    name = _folder_name(model_args)
    data = {
        "results": results,
        "group_subtasks": {task: [] for task in results},
        "configs": {task: {"task": task, "tag": ["scitool"]} for task in results},
        "versions": dict.fromkeys(results, 1.0),
        "n-shot": dict.fromkeys(results, 0),
        "higher_is_better": {task: {"acc_no_tool": True} for task in results},
        "n-samples": n_samples,
        "config": {
            "model": "toolwise",
            "model_args": model_args,
            "batch_size": 1,
            "batch_sizes": [],
            "device": None,
            "use_cache": None,
            "limit": limit,
            "bootstrap_iters": 100000,
            "gen_kwargs": dict(gen_kwargs or {}),
            "random_seed": 0,
            "numpy_seed": 1234,
            "torch_seed": 1234,
            "fewshot_seed": 1234,
        },
        "git_hash": "abc1234",
        "date": date,
        "task_hashes": dict.fromkeys(results, ""),
        "model_source": "toolwise",
        "model_name": name,
        "model_name_sanitized": name,
        "system_instruction": None,
        "system_instruction_sha": None,
        "fewshot_as_multiturn": False,
        "chat_template": None,
        "chat_template_sha": None,
        "total_evaluation_time_seconds": "1.0",
    }
    path = folder / f"results_{stamp}.json"
    path.write_text(json.dumps(data, indent=2))
    return path
