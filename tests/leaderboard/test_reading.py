"""Reading lm-eval output folders: discovery, newest run wins, and clear errors for what is not a results folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lb_results import outcomes, write_run

from toolwise.leaderboard import LeaderboardWarning, ResultsError, find_results_files, load_runs

PDE = outcomes("pde", "111 101 010 011 000 111 011 011")


def test_runs_are_found_recursively_and_identified_by_model_args(tmp_path: Path) -> None:
    write_run(tmp_path / "a", {"backend": "oracle"}, {"pde_tool": PDE})
    write_run(tmp_path / "b" / "deep", {"backend": "hf", "pretrained": "Qwen/Qwen2.5-7B-Instruct"}, {"pde_tool": PDE})
    loaded = load_runs([tmp_path])
    assert [(run.model, run.task) for run in loaded.runs] == [
        ("Qwen/Qwen2.5-7B-Instruct", "pde_tool"),
        ("oracle", "pde_tool"),
    ]
    oracle = loaded.runs[1]
    assert oracle.n_problems == 8 and oracle.samples is not None and len(oracle.samples) == 8
    assert oracle.metrics["acc_no_tool"] == pytest.approx(3 / 8)
    assert oracle.samples_file is not None and oracle.samples_file.name.startswith("samples_pde_tool_")


def test_a_results_file_can_be_given_directly_and_samples_are_optional(tmp_path: Path) -> None:
    path = write_run(tmp_path, {"backend": "never"}, {"pde_tool": PDE}, samples=False)
    (run,) = load_runs([path]).runs
    assert run.samples is None and run.samples_file is None and run.n_problems == 8


def test_the_newest_run_of_a_model_and_task_wins_with_a_warning(tmp_path: Path) -> None:
    old = write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE}, stamp="2026-11-01T09-00-00.000000")
    newer = outcomes("pde", "111 111 111 111")
    new = write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": newer}, stamp="2026-11-02T09-00-00.000000")
    with pytest.warns(LeaderboardWarning, match=r"oracle on pde_tool: 2 runs; using the newest") as caught:
        loaded = load_runs([tmp_path])
    assert str(old) in str(caught[0].message)
    (run,) = loaded.runs
    assert run.results_file == new and run.n_problems == 4
    assert [r.results_file for r in loaded.superseded] == [old]


def test_renamed_models_are_matched_under_their_new_name(tmp_path: Path) -> None:
    write_run(tmp_path, {"backend": "never"}, {"pde_tool": PDE})
    (run,) = load_runs([tmp_path], rename={"never": "Never call"}).runs
    assert run.model == "Never call"


def test_tasks_that_are_not_toolwise_tasks_are_skipped_with_a_warning(tmp_path: Path) -> None:
    other = {"arc_easy": {"name": "arc_easy", "alias": "arc_easy", "acc,none": 0.5, "acc_stderr,none": 0.01}}
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE}, extra_results=other)
    with pytest.warns(LeaderboardWarning, match="not toolwise tasks: arc_easy"):
        loaded = load_runs([tmp_path])
    assert [run.task for run in loaded.runs] == ["pde_tool"]


def test_progress_is_reported_per_results_file(tmp_path: Path) -> None:
    for backend in ("oracle", "always", "never"):
        write_run(tmp_path, {"backend": backend}, {"pde_tool": PDE}, samples=False)
    seen: list[Path] = []
    load_runs([tmp_path], progress=seen.append)
    assert len(seen) == 3 and all(path.name.startswith("results_") for path in seen)


# -- errors ------------------------------------------------------------------------------------------------------


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="no such file or folder"):
        find_results_files([tmp_path / "nowhere"])


def test_an_empty_folder_gets_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="the folder is empty"):
        load_runs([tmp_path])


def test_a_folder_that_is_not_a_results_folder_gets_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    with pytest.raises(ResultsError, match=r"not an lm-eval results folder: no results_\*\.json under it"):
        load_runs([tmp_path])


def test_a_file_that_is_not_a_results_file_is_rejected(tmp_path: Path) -> None:
    other = tmp_path / "metrics.json"
    other.write_text("{}")
    with pytest.raises(ResultsError, match="not an lm-eval results file"):
        load_runs([other])
    with pytest.raises(ResultsError, match=r"not an lm-eval results file \(expected results_<date>.json\)"):
        load_runs([next(iter(write_run(tmp_path, {"backend": "x"}, {"pde_tool": PDE}).parent.glob("samples_*")))])


def test_a_results_file_under_another_name_is_read(tmp_path: Path) -> None:
    path = write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE}, samples=False)
    renamed = path.rename(tmp_path / "pde_2026-11-20T10-00-00.json")  # lm_eval --output_path pde.json
    assert [run.model for run in load_runs([renamed]).runs] == ["oracle"]


def test_samples_without_results_mean_an_unfinished_run(tmp_path: Path) -> None:
    path = write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE})
    path.unlink()
    with pytest.raises(ResultsError, match=r"has samples_\*\.jsonl but no results_\*\.json: the run did not finish"):
        load_runs([tmp_path])


def test_truncated_results_json_names_the_file(tmp_path: Path) -> None:
    path = write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE})
    path.write_text(path.read_text()[:200])
    with pytest.raises(ResultsError, match=rf"{path.name}: not valid JSON .*truncated"):
        load_runs([tmp_path])


def test_json_without_results_or_config_is_not_a_results_file(tmp_path: Path) -> None:
    path = write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE})
    data = json.loads(path.read_text())
    path.write_text(json.dumps({"results": data["results"]}))
    with pytest.raises(ResultsError, match="no 'config' mapping"):
        load_runs([tmp_path])
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(ResultsError, match="no 'results' mapping"):
        load_runs([tmp_path])


def test_a_partial_task_entry_lists_the_missing_metrics(tmp_path: Path) -> None:
    path = write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE})
    data = json.loads(path.read_text())
    for key in ("n_HT,none", "tool_rate,none"):
        del data["results"]["pde_tool"][key]
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsError, match=r"\[pde_tool\]: lacks tool_rate, n_HT; the run is partial"):
        load_runs([tmp_path])


def test_a_truncated_samples_file_names_file_and_line(tmp_path: Path) -> None:
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE})
    samples = next(tmp_path.rglob("samples_*.jsonl"))
    lines = samples.read_text().splitlines()
    samples.write_text("\n".join([*lines[:3], lines[3][:50]]) + "\n")
    with pytest.raises(ResultsError, match=rf"{samples.name}:4: not valid JSON"):
        load_runs([tmp_path])


def test_a_samples_file_of_another_task_type_is_rejected(tmp_path: Path) -> None:
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE})
    samples = next(tmp_path.rglob("samples_*.jsonl"))
    samples.write_text(json.dumps({"doc_id": 0, "doc": {}, "exact_match": 1.0}) + "\n")
    with pytest.raises(ResultsError, match=r":1: sample lacks acc_no_tool, acc_choice, tool_use_acc"):
        load_runs([tmp_path])


def test_an_empty_samples_file_is_an_error(tmp_path: Path) -> None:
    write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE})
    next(tmp_path.rglob("samples_*.jsonl")).write_text("")
    with pytest.raises(ResultsError, match="samples file is empty"):
        load_runs([tmp_path])


def test_results_with_no_toolwise_task_at_all_list_what_was_found(tmp_path: Path) -> None:
    other = {"arc_easy": {"name": "arc_easy", "alias": "arc_easy", "acc,none": 0.5}}
    write_run(tmp_path, {"backend": "hf", "pretrained": "gpt2"}, {}, extra_results=other)
    with pytest.raises(ResultsError, match=r"no toolwise task .* in 1 results file\(s\); tasks found: arc_easy"):
        load_runs([tmp_path])


def test_without_a_date_field_the_file_name_datetime_decides(tmp_path: Path) -> None:
    newer = write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE}, stamp="2026-11-03T08-00-00.000000")
    older = write_run(tmp_path, {"backend": "oracle"}, {"pde_tool": PDE}, stamp="2026-11-02T23-59-59.000000")
    for path in (newer, older):
        data = json.loads(path.read_text())
        del data["date"]
        path.write_text(json.dumps(data))
    with pytest.warns(LeaderboardWarning):
        (run,) = load_runs([tmp_path]).runs
    assert run.results_file == newer and run.date_text == "2026-11-03T08:00:00"
