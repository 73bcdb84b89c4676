"""TUA: the easy/hard split from k direct samples, balancing to a stated ratio, and the training mix."""

from __future__ import annotations

import pytest
from train_helpers import KnownAccuracyBackend, train_problems

from toolwise.bench.answer_tool import ANSWER_TOOL_NAME
from toolwise.bench.backends.scripted import OracleBackend
from toolwise.training.collect import collect
from toolwise.training.config import CollectConfig, TUAConfig
from toolwise.training.conversations import DIRECT_LEAD, direct_choice_example
from toolwise.training.tua import Difficulty, balance, classify, difficulty_split, replicate, tua_examples


def test_split_on_a_model_with_known_accuracy_per_question() -> None:
    problems = train_problems(8)
    accuracy = dict(zip([p.id for p in problems], [0, 0.25, 0.5, 0.75, 1, 1, 0.25, 0.5], strict=True))
    config = TUAConfig(k_samples=4, easy_threshold=0.5)
    split = difficulty_split(problems, KnownAccuracyBackend(accuracy, k=4), config, progress=False)
    assert [d.accuracy for d in split] == [0, 0.25, 0.5, 0.75, 1, 1, 0.25, 0.5]
    assert [d.easy for d in split] == [False, False, True, True, True, True, False, True]
    assert all(len(d.scores) == 4 for d in split)
    stricter = difficulty_split(
        problems, KnownAccuracyBackend(accuracy, k=4), TUAConfig(k_samples=4, easy_threshold=0.75), progress=False
    )
    assert sum(d.easy for d in stricter) == 3


def test_classify_threshold_is_inclusive() -> None:
    assert classify([1, 0], 0.5) == (0.5, True)
    assert classify([1, 0, 0], 0.5) == (pytest.approx(1 / 3), False)


@pytest.mark.parametrize(
    ("n_easy", "n_hard", "ratio", "expected"),
    [
        (10, 3, 1.0, (10, 10)),
        (3, 10, 1.0, (10, 10)),
        (3, 10, 2.0, (20, 10)),
        (12, 4, 0.5, (12, 24)),
        (5, 5, 1.0, (5, 5)),
    ],
)
def test_balancing_reaches_the_stated_ratio(n_easy: int, n_hard: int, ratio: float, expected: tuple) -> None:
    easy = [{"id": f"e{i}"} for i in range(n_easy)]
    hard = [{"id": f"h{i}"} for i in range(n_hard)]
    new_easy, new_hard = balance(easy, hard, ratio, seed=0)
    assert (len(new_easy), len(new_hard)) == expected
    assert {e["id"].split("#")[0] for e in new_easy} == {e["id"] for e in easy}  # nothing dropped
    assert len({e["id"] for e in new_easy + new_hard}) == len(new_easy) + len(new_hard)  # copies get their own id


def test_no_balancing_and_empty_classes_leave_counts_alone() -> None:
    easy, hard = [{"id": "e"}], [{"id": f"h{i}"} for i in range(4)]
    assert tuple(map(len, balance(easy, hard, None, 0))) == (1, 4)
    assert tuple(map(len, balance([], hard, 1.0, 0))) == (0, 4)


def test_replicate_uses_whole_copies_before_sampling() -> None:
    items = [{"id": str(i)} for i in range(3)]
    grown = replicate(items, 7, __import__("random").Random(0))
    counts = {i: sum(g["id"].split("#")[0] == str(i) for g in grown) for i in range(3)}
    assert sorted(counts.values()) == [2, 2, 3]


def test_training_mix_targets() -> None:
    problems = train_problems(6)
    records = collect(problems, OracleBackend(), CollectConfig(), progress=False).records
    easy_ids = {problems[0].id, problems[1].id}
    split = [Difficulty(p.id, [1.0] if p.id in easy_ids else [0.0], 0.0, p.id in easy_ids) for p in problems]
    by_id = {p.id: p for p in problems}
    examples, counts = tua_examples(records, by_id, split, TUAConfig(easy_hard_ratio=1.0, direct_form="plain"))
    warning = counts.pop("warning")
    assert counts == {
        "easy": 2,
        "hard": 4,
        "easy_after_balance": 4,
        "hard_after_balance": 4,
        "no_tool": 6,
        "total": 14,
        "direct_form": "plain",
    }
    assert warning.startswith("only 2 easy and 4 hard question(s), under 10")
    kinds = {e["id"]: e["kind"] for e in examples}
    hard_example = next(e for e in examples if e["kind"] == "tool")
    assert hard_example["messages"][-1]["content"] == by_id[hard_example["problem_id"]].solution
    teacher_final, _ = tua_examples(records, by_id, split, TUAConfig(hard_final_answer="teacher", direct_form="plain"))
    bare = next(e for e in teacher_final if e["kind"] == "tool")
    assert bare["messages"][-1]["content"] == f"the answer is {by_id[bare['problem_id']].answer}"
    assert kinds[f"{problems[0].id}/direct"] == "direct" and kinds[f"{problems[2].id}/tool"] == "tool"
    for example in examples:
        has_call = any(m.get("tool_calls") for m in example["messages"])
        assert has_call == (example["kind"] == "tool")
        assert (example["tools"] is None) == (example["kind"] == "no_tool")
    mix, counts = tua_examples(
        records, by_id, split, TUAConfig(mix_no_tool=False, easy_hard_ratio=None, direct_form="plain")
    )
    assert counts["total"] == len(mix) == 6 and counts["no_tool"] == 0


def test_replication_is_capped_so_a_small_class_cannot_swamp_the_mix() -> None:
    easy = [{"id": f"e{i}"} for i in range(2)]
    hard = [{"id": f"h{i}"} for i in range(22)]
    assert tuple(map(len, balance(easy, hard, 1.0, seed=0, max_replication=4))) == (8, 22)
    assert tuple(map(len, balance(hard, easy, 1.0, seed=0, max_replication=4))) == (22, 8)
    # Large classes keep the paper's Eq. 5 exactly.
    many_easy = [{"id": f"e{i}"} for i in range(100)]
    many_hard = [{"id": f"h{i}"} for i in range(300)]
    assert tuple(map(len, balance(many_easy, many_hard, 1.0, seed=0, max_replication=4))) == (300, 300)
    with pytest.raises(ValueError, match="max_replication"):
        balance(easy, hard, 1.0, seed=0, max_replication=0.5)


def _mix(form: str) -> tuple[list[dict], dict]:
    problems = train_problems(4)
    records = collect(problems, OracleBackend(), CollectConfig(), progress=False)
    split = [Difficulty(p.id, [1.0], 1.0, i < 2) for i, p in enumerate(problems)]
    examples, _ = tua_examples(records.records, {p.id: p for p in problems}, split, TUAConfig(direct_form=form))
    return examples, {p.id: p for p in problems}


def test_lead_form_gives_direct_answers_their_own_opening() -> None:
    examples, by_id = _mix("lead")
    direct = [e for e in examples if e["kind"] == "direct"]
    no_tool = [e for e in examples if e["kind"] == "no_tool"]
    assert direct and all(e["messages"][-1]["content"].startswith(DIRECT_LEAD + " ") for e in direct)
    assert all(e["messages"][-1]["content"] == by_id[e["problem_id"]].solution for e in no_tool)


def test_answer_call_form_makes_every_choice_reply_start_with_a_call() -> None:
    examples, by_id = _mix("answer_call")
    for example in examples:
        if example["mode"] != "choice":
            continue
        names = [t["function"]["name"] for t in example["tools"]]
        assert names[-1] == ANSWER_TOOL_NAME  # offered after the problem's tools, as the loop offers it
        first_reply = next(m for m in example["messages"] if m["role"] == "assistant")
        [call] = first_reply["tool_calls"]
        if example["kind"] == "direct":
            assert call["function"] == {
                "name": ANSWER_TOOL_NAME,
                "arguments": {"answer": by_id[example["problem_id"]].solution},
            }
        else:
            assert call["function"]["name"] == "toy_multiply"


def test_unknown_direct_form_is_refused() -> None:
    with pytest.raises(ValueError, match="direct-answer form"):
        direct_choice_example(train_problems(1)[0], "x", "shout")  # type: ignore[arg-type]
