"""Data-parallel evaluation: ``accelerate launch --multi_gpu --num_processes 2 -m lm_eval --model toolwise``
on CPU (torchrun under the hood, gloo) gives the samples and metrics of a single-process run. (Without
``--multi_gpu`` accelerate starts one process on a machine without GPUs.)

Each rank gets every other document; rank 0 gathers the samples and metrics. ``batch_size=1`` keeps the hf
backend free of padding, so that the split cannot change a single greedy token.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).parent
BIN = Path(sys.executable).parent


def lm_eval_command(model_args: str, task_dir: Path, out: Path) -> list[str]:
    return [
        "-m",
        "lm_eval",
        "--model",
        "toolwise",
        "--model_args",
        model_args,
        "--tasks",
        "toy_dp_tool",
        "--include_path",
        str(task_dir),
        "--batch_size",
        "1",
        "--gen_kwargs",
        "max_gen_toks=12",
        "--output_path",
        str(out),
        "--log_samples",
    ]


def run(command: list[str], cwd: Path) -> dict[str, Any]:
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    if "launch" in command:
        assert all(f"toy_dp_tool on rank {rank}" in done.stderr for rank in (0, 1))  # two ranks, not one
    out = cwd / "out"
    results = json.loads(next(out.rglob("results_*.json")).read_text())
    samples = [json.loads(line) for line in next(out.rglob("samples_toy_dp_tool_*.jsonl")).read_text().splitlines()]
    return {"results": results["results"]["toy_dp_tool"], "samples": samples}


def comparable(samples: list[dict[str, Any]]) -> list[tuple[int, list[Any], dict[str, Any]]]:
    """Per document: its transcripts (less wall-clock timings), what was scored, and its metrics."""

    def without_timings(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: without_timings(v) for k, v in value.items() if not k.endswith(("_s", "seconds"))}
        if isinstance(value, list):
            return [without_timings(v) for v in value]
        if isinstance(value, str) and value.startswith("{"):
            return without_timings(json.loads(value))
        return value

    rows = []
    for sample in samples:
        metrics = {name: sample[name] for name in sample["metrics"]}
        # resps[i][0]: lm-eval pads the shorter rank with repeats of its last request, whose extra
        # responses it appends to that request (2 here); scoring reads the first, as do we.
        first = [resps[0] for resps in sample["resps"]]
        rows.append((sample["doc_id"], without_timings(first), without_timings(sample["filtered_resps"]), metrics))
    return sorted(rows, key=lambda row: row[0])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("accelerate", path=str(BIN)) is None, reason="accelerate's launcher is not installed")
@pytest.mark.parametrize("backend", ["hf", "oracle"])
def test_two_cpu_processes_give_the_samples_and_metrics_of_one(backend: str, tmp_path: Path, tiny_llama_dir) -> None:  # type: ignore[no-untyped-def]
    from toy_domain import write_toy_task

    task_dir = tmp_path / "task"
    task_dir.mkdir()
    write_toy_task(task_dir, name="toy_dp_tool", n=5, answer_type="numeric")  # odd: the ranks get 3 and 2
    yaml = task_dir / "toy_dp_tool.yaml"
    yaml.write_text(yaml.read_text().replace("tool_modules: []", "tool_modules: [toy_domain]"))
    model_args = f"backend={backend},progress=false"
    if backend == "hf":
        model_args += f",pretrained={tiny_llama_dir}"
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one = run([sys.executable, *lm_eval_command(model_args, task_dir, tmp_path / "one" / "out")], tmp_path / "one")
    launch = [str(BIN / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1"]
    launch += ["--mixed_precision", "no", "--dynamo_backend", "no"]
    two = run([*launch, *lm_eval_command(model_args, task_dir, tmp_path / "two" / "out")], tmp_path / "two")

    assert len(one["samples"]) == len(two["samples"]) == 5
    assert comparable(two["samples"]) == comparable(one["samples"])
    assert two["results"] == one["results"]
    if backend == "oracle":  # the metrics are not trivially equal: the oracle answers and uses the tool
        assert one["results"]["acc_choice,none"] == 1.0
