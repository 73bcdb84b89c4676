"""The README's first screen stays true: CI runs exactly its test command, and its run excerpt is today's output."""

from __future__ import annotations

import re
from pathlib import Path

from toolwise.bench.summary import render_summary, summarize

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    return [b.strip() for b in blocks[:2]]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    run_cmd, test_cmd = readme_commands()
    assert "lm_eval --model toolwise" in run_cmd and "--tasks pde_tool" in run_cmd
    assert test_cmd.endswith("pytest")
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert test_cmd in ci_lines
    # and then checks the wheel a user would install, outside the checkout
    assert ci_lines.index("bash .ci/wheel_check") > ci_lines.index(test_cmd)


def test_the_run_command_evaluates_smollm2_and_keeps_the_transcripts() -> None:
    run_cmd, _ = readme_commands()
    assert '"$(toolwise smollm2-args)"' in run_cmd
    assert "--output_path results/" in run_cmd and "--log_samples" in run_cmd


def test_the_readme_excerpt_has_the_summary_as_the_run_prints_it() -> None:
    first_screen = README.split("## Evaluating your model")[0]
    results = {"results": {"pde_tool": {"acc_no_tool,none": 0.0}}, "n-samples": {"pde_tool": {"effective": 5}}}
    summary = render_summary(summarize(results)).splitlines()
    header = next(line for line in summary if line.startswith("task")).split()
    assert summary[1] in first_screen  # the summary's title, verbatim
    assert any(line.split() == header for line in first_screen.splitlines())  # and its columns
    assert re.search(r"^pde_tool\s+5\s", first_screen, re.M)  # the measured run's row: 5 problems
    assert "toolwise show results/" in first_screen
