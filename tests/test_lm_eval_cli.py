"""The literal command lines users type, in a subprocess: plain lm_eval finds toolwise with no extra flag."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", **env}
    return subprocess.run(args, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)


def results_of(folder: Path) -> dict:
    [path] = list(folder.rglob("results_*.json"))
    return json.loads(path.read_text())


def test_plain_lm_eval_command_line(tmp_path: Path) -> None:
    out = tmp_path / "results"
    cmd = [str(BIN / "lm_eval"), "--model", "toolwise", "--model_args", "backend=oracle", "--tasks", "pde_tool"]
    proc = run([*cmd, "--limit", "5", "--output_path", str(out), "--log_samples"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = results_of(out)["results"]["pde_tool"]
    assert row["acc_choice,none"] == 1.0 and row["tool_use_acc,none"] == 1.0
    assert list(out.rglob("samples_pde_tool_*.jsonl"))
    assert "|pde_tool|" in proc.stdout.replace(" ", "")  # lm-eval's table lists the task


def test_hook_can_be_switched_off_and_toolwise_eval_still_works(tmp_path: Path) -> None:
    args = ["--model", "toolwise", "--model_args", "backend=never", "--tasks", "pde_tool", "--limit", "2"]
    off = run([str(BIN / "lm_eval"), *args], tmp_path, TOOLWISE_NO_LMEVAL_HOOK="1")
    assert off.returncode != 0  # without the hook stock lm-eval 0.4 knows neither the tasks nor the model
    assert "Tasks not found: pde_tool" in off.stderr or "toolwise" in off.stderr
    fallback = run(
        [str(BIN / "toolwise-eval"), *args, "--output_path", str(tmp_path / "r")], tmp_path, TOOLWISE_NO_LMEVAL_HOOK="1"
    )
    assert fallback.returncode == 0, fallback.stderr[-3000:]
    assert results_of(tmp_path / "r")["results"]["pde_tool"]["tool_rate,none"] == 0.0


@pytest.mark.skipif(shutil.which("lm_eval") is None and not (BIN / "lm_eval").exists(), reason="lm_eval not installed")
def test_hook_does_not_touch_other_processes(tmp_path: Path) -> None:
    proc = run([sys.executable, "-c", "import sys; print('lm_eval' in sys.modules)"], tmp_path)
    assert proc.stdout.strip() == "False"  # python start-up imports nothing of lm-eval
