"""WKD data: one no-tool example per collected question; open questions get ranked proposals and DPO pairs."""

from __future__ import annotations

from train_helpers import ProposalBackend, train_problems

from toolwise.bench.backends.scripted import OracleBackend
from toolwise.training.collect import collect
from toolwise.training.config import CollectConfig, WKDConfig
from toolwise.training.wkd import open_proposals, ranked_pairs, wkd_examples


def test_one_no_tool_example_per_record() -> None:
    problems = train_problems(3, n_open=1)
    records = collect(problems, OracleBackend(), CollectConfig(), progress=False).records
    examples = wkd_examples(records, {p.id: p for p in problems})
    assert [e["kind"] for e in examples] == ["wkd"] * 4
    assert [e["messages"][-1]["content"] for e in examples] == [p.solution for p in problems]


def test_ranked_pairs_skip_duplicates_and_small_gaps() -> None:
    texts = ["a", "b", "a", "c", ""]
    scores = [0.5, 0.9, 0.5, 0.48, 1.0]
    assert ranked_pairs(texts, scores, min_gap=0.05) == [(1, 0), (1, 3)]


def test_open_proposals_give_the_best_as_sft_target_and_ordered_pairs() -> None:
    problems = train_problems(2, n_open=2)
    result = open_proposals(problems, ProposalBackend(), WKDConfig(n_proposals=4), progress=False)
    assert result.counts() == {"open_questions": 2, "best_proposal_examples": 2, "dpo_pairs": 12}
    open_problem = problems[2]
    # proposals guess target x 1.0, 1.1, 1.2, 1.3: scores 1.0, 0.8, 0.6, 0.4 (within rounding)
    scores = result.proposal_scores[open_problem.id]
    assert scores[0] == 1.0 and scores == sorted(scores, reverse=True)
    best = result.sft_examples[0]
    assert best["messages"][-1]["content"] == f"Roughly. Answer: {open_problem.answer['target']}"
    for pair in result.pairs:
        assert pair["chosen_score"] - pair["rejected_score"] >= 0.05
        assert pair["prompt"][0]["role"] == "system" and pair["chosen"][0]["role"] == "assistant"


def test_no_open_question_means_no_proposals() -> None:
    backend = ProposalBackend()
    result = open_proposals(train_problems(3), backend, WKDConfig(), progress=False)
    assert result.counts() == {"open_questions": 0, "best_proposal_examples": 0, "dpo_pairs": 0}
    assert not backend.asked
