"""The whole pipeline on a tiny Llama: stages, exported datasets, resume, and a checkpoint lm-eval can run."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pytest
from train_helpers import ProposalBackend, train_problems

from toolwise.bench.backends import Backend
from toolwise.bench.evaluate import evaluate
from toolwise.bench.problem import Problem, write_jsonl
from toolwise.bench.prompts import opening_messages
from toolwise.training import Pipeline, StageError, TrainConfig, build_config
from toolwise.training.export import load_dataset_records
from toolwise.training.sampling import hf_backend

SFT_FAST = {
    "num_train_epochs": 1,
    "per_device_train_batch_size": 4,
    "gradient_accumulation_steps": 1,
    "gradient_checkpointing": False,
    "logging_steps": 1,
    "max_length": 2048,
}


def tiny_config(model: Path, out: Path, train_file: Path) -> TrainConfig:
    overrides: dict[str, Any] = {"base": str(model), "out": str(out), "train_file": str(train_file)}
    overrides |= {f"wkd.{k}": v for k, v in SFT_FAST.items()} | {f"tua.{k}": v for k, v in SFT_FAST.items()}
    overrides |= {"wkd.n_proposals": 3, "wkd.dpo_num_train_epochs": 1, "tua.k_samples": 2}
    overrides |= {"tua.sample_max_gen_toks": 6, "device": "cpu"}
    return build_config(None, overrides)


class Sampler:
    """Open proposals from a scripted policy (so DPO has ranked pairs); TUA samples the real WKD checkpoint."""

    def __init__(self, base: Path) -> None:
        self.base = str(base)
        self.models: list[str] = []

    @contextmanager
    def __call__(self, model_dir: str) -> Iterator[Backend]:
        self.models.append(model_dir)
        if Path(model_dir).name == "wkd_sft":  # the model DPO will update
            yield ProposalBackend()
        else:
            with hf_backend(model_dir, batch_size=8, device="cpu", max_gen_toks=6) as backend:
                yield backend


def no_teacher(config: TrainConfig) -> Backend:
    raise AssertionError("collect was finished; the teacher must not be asked again")


@pytest.fixture(scope="module")
def run(tiny_llama_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Collect, then a fresh pipeline object that must resume at wkd (the 'killed after collect' case)."""
    folder = tmp_path_factory.mktemp("pipeline")
    write_jsonl(train_problems(6, n_open=2), folder / "train.jsonl")
    config = tiny_config(tiny_llama_dir, folder / "out", folder / "train.jsonl")
    first = Pipeline(config, progress=False, sampler_factory=Sampler(tiny_llama_dir))
    after_collect = first.run(["collect"])
    sampler = Sampler(tiny_llama_dir)
    state = Pipeline(config, progress=False, teacher_factory=no_teacher, sampler_factory=sampler).run()
    return {"config": config, "out": folder / "out", "state": state, "after_collect": after_collect, "sampler": sampler}


def test_resume_after_collect_starts_at_wkd(run: dict[str, Any]) -> None:
    assert list(run["after_collect"]["stages"]) == ["collect"]
    stages = run["state"]["stages"]
    assert all(stages[s]["done"] for s in ("collect", "wkd", "tua"))
    assert stages["collect"] == run["after_collect"]["stages"]["collect"]  # untouched by the second run
    # DPO's proposals come from the SFT model DPO then updates; TUA's samples from the WKD result.
    assert run["sampler"].models == [str(run["out"] / "wkd_sft"), str(run["out"] / "wkd")]


def test_stage_summaries_count_what_happened(run: dict[str, Any]) -> None:
    stages = run["state"]["stages"]
    collect = stages["collect"]["summary"]
    assert collect["kept"] == 8 and collect["dropped"] == 0 and collect["tool_calls_per_trajectory"] == 1
    wkd = stages["wkd"]["summary"]
    assert wkd["sft"]["examples"] == 8  # one per question; open questions then get DPO on the SFT model's proposals
    assert wkd["dpo_pairs"] == 2 * 3 and wkd["dpo"]["examples"] == 6
    tua = stages["tua"]["summary"]
    assert tua["easy"] + tua["hard"] == 8 and tua["no_tool"] == 8
    assert tua["sft"]["masking"] == "generation-markers"
    for stage in stages.values():
        assert stage["usage"]["seconds"] > 0 and stage["usage"]["peak_rss_mb"] > 100


def test_the_final_checkpoint_says_what_evaluation_must_offer(run: dict[str, Any]) -> None:
    marker = json.loads((run["out"] / "final" / "toolwise.json").read_text())
    assert marker == {"answer_tool": False, "direct_form": run["config"].tua.direct_form}


def test_each_stage_dataset_is_exported_as_jsonl_and_hf_datasets(run: dict[str, Any]) -> None:
    data = run["out"] / "data"
    for stage, name in [
        ("collect", "trajectories"),
        ("wkd", "sft"),
        ("wkd", "dpo"),
        ("tua", "sft"),
        ("tua", "difficulty"),
    ]:
        assert (data / stage / f"{name}.jsonl").exists()
        assert len(datasets.load_from_disk(str(data / stage / name))) > 0
    wkd = load_dataset_records(data / "wkd" / "sft")
    first = wkd[0]
    assert first["tools"] is None and [m["role"] for m in first["messages"]] == ["system", "user", "assistant"]
    problem = json.loads((data / "collect" / "trajectories.jsonl").read_text().splitlines()[0])["problem"]
    assert first["messages"][0] == opening_messages(Problem.from_dict(problem), "no_tool")[0]
    difficulty = load_dataset_records(data / "tua" / "difficulty", json_columns=("scores",))
    assert all(len(d["scores"]) == 2 for d in difficulty)
    tua = load_dataset_records(data / "tua" / "sft")
    kinds = {row["kind"] for row in tua}
    assert "no_tool" in kinds and kinds <= {"no_tool", "direct", "tool"}


def test_a_finished_pipeline_is_not_redone_and_stale_settings_are_refused(run: dict[str, Any], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import toolwise.training.pipeline as pipeline

    monkeypatch.setattr(pipeline, "run_sft", lambda *a, **k: pytest.fail("a finished stage was retrained"))
    state = Pipeline(run["config"], progress=False, teacher_factory=no_teacher).run()
    assert state["stages"] == run["state"]["stages"]
    changed = build_config(None, {**_flat(run["config"]), "tua.k_samples": 3})
    with pytest.raises(StageError, match=r"stage 'tua' .* other settings"):
        Pipeline(changed, progress=False, teacher_factory=no_teacher).run()


def test_a_stage_needs_the_one_before(tmp_path: Path, tiny_llama_dir: Path) -> None:
    write_jsonl(train_problems(2), tmp_path / "train.jsonl")
    config = tiny_config(tiny_llama_dir, tmp_path / "out", tmp_path / "train.jsonl")
    with pytest.raises(StageError, match="needs stage 'collect' first"):
        Pipeline(config, progress=False).run(["wkd"])


def test_final_checkpoint_runs_in_lm_eval(run: dict[str, Any], toy_manager) -> None:  # type: ignore[no-untyped-def]
    final = run["out"] / "final"
    results = evaluate(
        ["toy_tool"],
        f"backend=hf,pretrained={final},device=cpu,batch_size=8",
        limit=4,
        manager=toy_manager,
        gen_kwargs="max_gen_toks=8",
    )
    metrics = results["results"]["toy_tool"]
    assert {"acc_no_tool,none", "acc_choice,none", "tool_use_acc,none", "tool_rate,none"} <= set(metrics)
    assert metrics["n_ET,none"] + metrics["n_EN,none"] + metrics["n_HT,none"] + metrics["n_HN,none"] == 4


def _flat(config: TrainConfig) -> dict[str, Any]:
    from toolwise.training.config import to_dict

    data = to_dict(config)
    flat = {k: v for k, v in data.items() if not isinstance(v, dict)}
    for section in ("collect", "wkd", "tua"):
        flat |= {f"{section}.{k}": v for k, v in data[section].items()}
    return flat


def test_an_unmerged_final_adapter_loads_on_the_wkd_model_it_was_trained_on(
    run: dict[str, Any], tmp_path: Path
) -> None:
    from toolwise.bench.backends.hf import HFBackend
    from toolwise.training.conversations import no_tool_example
    from toolwise.training.trainers import ModelSource, run_sft

    wkd = run["out"] / "wkd"
    config = dataclasses.replace(run["config"].tua, use_lora=True, lora_r=4, merge_lora=False)
    examples = [no_tool_example(p, p.solution) for p in train_problems(2)]
    run_sft(ModelSource(str(wkd)), examples, config, tmp_path / "adapter")
    adapter = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    assert Path(adapter["base_model_name_or_path"]) == wkd  # hence pretrained=<out>/wkd,peft=<out>/final
    backend = HFBackend(str(wkd), peft=str(tmp_path / "adapter"), device="cpu")
    assert type(backend.model).__name__.startswith("Peft")


def test_the_final_checkpoint_carries_a_model_card(run: dict[str, Any]) -> None:
    card = (run["out"] / "final" / "README.md").read_text()
    assert card.startswith("---\nbase_model: ")
    assert f"`{run['config'].base}`" in card
    assert "- **collect**: 8 trajectories kept, 0 dropped" in card
    assert "- **TUA**:" in card and "easy /" in card
    assert "lm_eval --model toolwise --model_args backend=hf,pretrained=" in card


class FakeHub:
    """The two HfApi calls the upload makes, recorded (no network)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def create_repo(self, **kwargs: Any) -> str:
        self.calls.append(("create_repo", kwargs))
        return f"https://huggingface.co/{kwargs['repo_id']}"

    def upload_folder(self, **kwargs: Any) -> None:
        assert Path(kwargs["folder_path"], "README.md").exists()
        self.calls.append(("upload_folder", kwargs))


def test_push_to_hub_creates_the_repo_and_uploads_the_final_folder(run: dict[str, Any]) -> None:
    from toolwise.training.model_card import push_to_hub

    hub = FakeHub()
    url = push_to_hub(run["out"] / "final", "me/toolwise-tiny", api=hub)
    assert url == "https://huggingface.co/me/toolwise-tiny"
    assert [name for name, _ in hub.calls] == ["create_repo", "upload_folder"]
    assert hub.calls[0][1] == {"repo_id": "me/toolwise-tiny", "private": True, "exist_ok": True}
    assert hub.calls[1][1]["folder_path"] == str(run["out"] / "final")


def test_eval_compares_base_wkd_and_final_beside_the_state(run: dict[str, Any], toy_manager, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    out = tmp_path / "out"
    shutil.copytree(run["out"], out)
    overrides = {"out": str(out), "task": "toy_tool", "eval.limit": 3, "eval.max_gen_toks": 8}
    config = build_config(None, {**_flat(run["config"]), **overrides})
    state = Pipeline(config, progress=False, teacher_factory=no_teacher, task_manager=toy_manager).run(["eval"])

    summary = state["eval"]["summary"]
    assert summary["checkpoints"] == {
        "base": run["config"].base,
        "wkd": str(out / "wkd"),
        "wkd_tua": str(out / "final"),
    }
    for name in ("base", "wkd", "wkd_tua"):
        record = json.loads((out / "eval" / f"{name}.json").read_text())
        assert len(record["outcomes"]) == 3 and all(0 <= o["p_tool"] <= 1 for o in record["outcomes"])
        point, lo, hi = summary["models"][name]["acc_choice"]  # the pipeline's figures are the saved ones
        assert lo <= point <= hi and point == pytest.approx(np.mean([o["acc_choice"] for o in record["outcomes"]]))
    assert set(summary["gains_over_base"]) == {"wkd", "wkd_tua"}
    assert json.loads((out / "eval" / "comparison.json").read_text())["models"] == summary["models"]
    report = (out / "eval" / "report.md").read_text()
    assert "| WKD+TUA | 3 |" in report and "gain over base (paired)" in report
    assert "## Evaluation" in (out / "final" / "README.md").read_text()  # the model card carries the table
    board = (
        out / "eval" / "leaderboard.md"
    ).read_text()  # toolwise.leaderboard on lm-eval's own files, --baseline base
    assert "### Difference to base" in board and all(f"| {m} |" in board for m in ("base", "WKD", "WKD+TUA"))
    assert summary["leaderboard"] == str(out / "eval" / "leaderboard.md")
    # a second run reads each model's results back instead of evaluating again
    again = Pipeline(config, progress=False, task_manager=toy_manager)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("toolwise.training.evaluation.evaluate", _must_not_evaluate)
        assert again.run(["eval"])["eval"]["summary"]["models"] == summary["models"]


def _must_not_evaluate(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the cached evaluation should have been reused")


def test_eval_needs_a_trained_model(tmp_path: Path, tiny_llama_dir: Path) -> None:
    config = build_config(None, {"base": str(tiny_llama_dir), "out": str(tmp_path), "task": "toy_tool"})
    with pytest.raises(StageError, match="needs the tua stage"):
        Pipeline(config, progress=False).run(["eval"])


def test_fresh_tua_questions_are_a_second_draw_with_none_of_wkds(tmp_path: Path) -> None:
    # tua.questions=fresh: TUA labels questions WKD never trained on, so 'easy' cannot be a memorised answer.
    config = build_config(
        None,
        {
            "base": "unused",
            "task": "climate_tool",
            "out": str(tmp_path),
            "collect.n_train": 8,
            "tua.questions": "fresh",
        },
    )
    pipeline = Pipeline(config, progress=False)
    pipeline.run(["collect"])
    _wkd_records, wkd_problems = pipeline._records()
    records, problems, counts = pipeline._fresh_records()
    assert counts["fresh_questions"] + counts["dropped_as_wkd_questions"] == 8 and counts["kept"] == len(records) > 0
    assert all(pid.endswith("-tua") for pid in problems)
    assert not {p.question for p in problems.values()} & {p.question for p in wkd_problems.values()}
    assert (tmp_path / "data" / "tua" / "questions" / "trajectories.jsonl").exists()
    assert [r["problem_id"] for r in pipeline._fresh_records()[0]] == [r["problem_id"] for r in records]  # kept
