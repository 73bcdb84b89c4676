"""Collect: forced-mode trajectories from a teacher; failed or wrong ones dropped and counted by reason."""

from __future__ import annotations

from train_helpers import train_problems

from toolwise.bench.backends.base import AssistantTurn, Conversation
from toolwise.bench.backends.scripted import OracleBackend, correct_text
from toolwise.training.collect import collect, render_trajectory
from toolwise.training.config import CollectConfig


class RewritingTeacher(OracleBackend):
    """The oracle in forced mode; as a rewriter it answers with a fixed text per problem parity."""

    name = "rewriter"

    def __init__(self, texts: dict[str, str]) -> None:
        super().__init__()
        self.texts = texts
        self.rewrite_prompts: list[str] = []

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        out = []
        for conv in conversations:
            if conv.messages[0]["content"].startswith("You are a teacher"):
                self.rewrite_prompts.append(conv.messages[1]["content"])
                out.append(AssistantTurn(content=self.texts[conv.problem.id]))
            else:
                out.extend(super().generate([conv]))
        return out


def test_oracle_trajectories_are_all_kept_with_dataset_solutions() -> None:
    problems = train_problems(6, n_open=2)
    result = collect(problems, OracleBackend(), CollectConfig(), progress=False)
    assert result.counts() == {"kept": 8, "dropped": 0, "dropped_by_reason": {}}
    record = result.records[0]
    assert record["solution"] == problems[0].solution and record["n_tool_calls"] == 1
    assert record["transcript"]["mode"] == "forced" and record["transcript"]["tool_calls"][0]["error"] is None


class DirectTeacher:
    """Answers right, but never calls a tool (even when told to)."""

    name = "direct"

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        return [AssistantTurn(content=correct_text(c.problem)) for c in conversations]


def test_a_teacher_that_never_calls_tools_keeps_nothing() -> None:
    problems = train_problems(4)
    result = collect(problems, DirectTeacher(), CollectConfig(), progress=False)
    assert result.counts()["dropped_by_reason"] == {"no_tool_call": 4}


def test_wrong_answers_tool_errors_and_bad_solutions_are_dropped() -> None:
    problems = train_problems(4)
    problems[0].reference_calls[0] = type(problems[0].reference_calls[0])("toy_multiply", {"a": 13, "b": 13})
    problems[1].answer = "D" if problems[1].answer != "D" else "A"  # the oracle's final answer is the key...
    problems[1].solution = "Unclear."  # ...but the dataset solution does not reach it
    problems[2].solution = ""
    result = collect(problems, OracleBackend(), CollectConfig(), progress=False)
    assert result.counts()["dropped_by_reason"] == {
        "tool_error": 1,
        "dataset_solution_wrong": 1,
        "no_dataset_solution": 1,
    }
    assert [r["problem_id"] for r in result.records] == [problems[3].id]


def test_dataset_solutions_that_narrate_a_tool_run_are_dropped_too() -> None:
    problems = train_problems(3)
    problems[0].solution = f"Calling toy_multiply gives {problems[0].solution}"
    problems[1].solution = f"Simulating it: {problems[1].solution}"
    result = collect(problems, OracleBackend(), CollectConfig(), progress=False)
    assert result.counts()["dropped_by_reason"] == {"dataset_solution_mentions_tools": 2}
    assert [r["problem_id"] for r in result.records] == [problems[2].id]


def test_teacher_rewrites_are_checked_for_the_answer_and_for_tool_talk() -> None:
    problems = train_problems(3)
    texts = {
        problems[0].id: f"Multiplying gives the product, so the answer is {problems[0].answer}",
        problems[1].id: f"I called toy_multiply, so the answer is {problems[1].answer}",
        problems[2].id: "the answer is " + ("A" if problems[2].answer != "A" else "B"),
    }
    teacher = RewritingTeacher(texts)
    result = collect(problems, teacher, CollectConfig(solution_source="teacher"), progress=False)
    assert result.counts()["dropped_by_reason"] == {"rewrite_mentions_tools": 1, "rewrite_wrong_answer": 1}
    assert result.records[0]["solution"] == texts[problems[0].id]
    assert result.records[0]["solution_source"] == "teacher"
    prompt = teacher.rewrite_prompts[0]
    assert "call toy_multiply with" in prompt and "returned" in prompt and problems[0].question in prompt


def test_rendered_trajectory_lists_calls_results_and_answer() -> None:
    problem = train_problems(1)[0]
    result = collect([problem], OracleBackend(), CollectConfig(), progress=False)
    from toolwise.training.collect import record_transcript

    text = render_trajectory(problem, record_transcript(result.records[0]))
    assert text.splitlines()[-1] == f"- final answer: the answer is {problem.answer}"
    assert "- toy_multiply returned: {" in text
