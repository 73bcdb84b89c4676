"""Training examples start with the evaluation prompts; multi-call turns are split one call per turn."""

from __future__ import annotations

from train_helpers import train_problems

from toolwise.bench.backends.scripted import OracleBackend
from toolwise.bench.loop import Request, run_conversations
from toolwise.bench.problem import ToolCall
from toolwise.bench.prompts import opening_messages
from toolwise.training.conversations import (
    direct_choice_example,
    no_tool_example,
    one_call_per_turn,
    preference_pair,
    tool_transcript_example,
)

PROBLEM = train_problems(1)[0]


def test_no_tool_and_direct_examples_use_the_mode_prompts() -> None:
    plain = no_tool_example(PROBLEM, PROBLEM.solution)
    assert plain["messages"][:2] == opening_messages(PROBLEM, "no_tool") and plain["tools"] is None
    assert plain["messages"][2] == {"role": "assistant", "content": PROBLEM.solution}
    direct = direct_choice_example(PROBLEM, PROBLEM.solution)
    assert direct["messages"][:2] == opening_messages(PROBLEM, "choice") and direct["mode"] == "choice"
    assert [t["function"]["name"] for t in direct["tools"]] == ["toy_multiply"]
    assert "tool_calls" not in direct["messages"][2]


def test_tool_example_swaps_the_forced_prompt_for_the_choice_prompt() -> None:
    transcript = run_conversations([Request(PROBLEM, "forced")], OracleBackend(), progress=False)[0]
    example = tool_transcript_example(PROBLEM, transcript)
    roles = [m["role"] for m in example["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    assert example["messages"][0] == opening_messages(PROBLEM, "choice")[0]
    call = example["messages"][2]["tool_calls"][0]
    assert call["function"]["arguments"] == PROBLEM.reference_calls[0].arguments
    assert example["messages"][3]["tool_call_id"] == call["id"]
    assert example["messages"][4]["content"].endswith(f"the answer is {PROBLEM.answer}")


def test_several_calls_in_one_turn_become_consecutive_turns() -> None:
    problem = train_problems(1)[0]
    problem.reference_calls = [ToolCall("toy_multiply", {"a": 2, "b": 3}), ToolCall("toy_multiply", {"a": 4, "b": 5})]
    transcript = run_conversations([Request(problem, "forced")], OracleBackend(), progress=False)[0]
    assert len(transcript.messages[2]["tool_calls"]) == 2  # the oracle asks both at once
    split = one_call_per_turn(transcript.messages[2:])
    assert [m["role"] for m in split] == ["assistant", "tool", "assistant", "tool", "assistant"]
    assert [m["content"] for m in split if m["role"] == "tool"] == ['{"product": 6.0}', '{"product": 20.0}']
    assert all(len(m["tool_calls"]) == 1 for m in split if m.get("tool_calls"))


def test_preference_pair_is_trl_conversational() -> None:
    pair = preference_pair(PROBLEM, "good", "bad", 0.9, 0.1)
    assert pair["prompt"] == opening_messages(PROBLEM, "no_tool")
    assert pair["chosen"] == [{"role": "assistant", "content": "good"}]
    assert pair["rejected"] == [{"role": "assistant", "content": "bad"}]
    assert pair["id"] == preference_pair(PROBLEM, "good", "bad", 0.9, 0.1)["id"]


def test_the_final_answer_of_a_tool_example_can_be_the_worked_solution() -> None:
    transcript = run_conversations([Request(PROBLEM, "forced")], OracleBackend(), progress=False)[0]
    example = tool_transcript_example(PROBLEM, transcript, final_answer=PROBLEM.solution)
    assert example["messages"][-1] == {"role": "assistant", "content": PROBLEM.solution}
    assert example["messages"][2]["tool_calls"] and example["messages"][3]["role"] == "tool"
