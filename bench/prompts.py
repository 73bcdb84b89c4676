"""System prompts of the three modes and the opening messages of a conversation.

``no_tool`` is the paper's P_n, ``choice`` its P_i (tools offered, the model
decides), ``forced`` its P_f (used to collect tool-grounded solutions).
"""

from __future__ import annotations

from typing import Any

from toolwise.bench.problem import Problem
from toolwise.bench.transcript import Mode

ANSWER_FORMAT = {
    "mcq": "End your reply with 'the answer is X', where X is one of A, B, C or D.",
    "numeric": "End your reply with 'the answer is N', where N is a single number in the stated unit.",
    "open": "End your reply with 'Answer:' followed by your answer in the format the question asks for.",
}

MODE_INSTRUCTIONS: dict[Mode, str] = {
    "no_tool": "Answer the following question using your own knowledge and reasoning. Think step by step.",
    "choice": (
        "Answer the following question. You may call the provided tools if they would help you answer "
        "correctly; if you can answer reliably without them, answer directly without calling any tool. "
        "When a tool returns a result, use it to answer the original question."
    ),
    "forced": (
        "Answer the following question. Use the provided tools to compute the quantities you need before "
        "you answer; call them as many times as necessary, then answer from their results."
    ),
}


def system_prompt(problem: Problem, mode: Mode) -> str:
    """The system message for ``problem`` asked in ``mode``."""
    return f"{MODE_INSTRUCTIONS[mode]} {ANSWER_FORMAT[problem.answer_type]}"


def opening_messages(problem: Problem, mode: Mode, system_instruction: str | None = None) -> list[dict[str, Any]]:
    """System and user messages that start a conversation.

    ``system_instruction`` (lm-eval's ``--system_instruction``) is put before ours.
    """
    system = system_prompt(problem, mode)
    if system_instruction:
        system = f"{system_instruction.strip()}\n\n{system}"
    return [{"role": "system", "content": system}, {"role": "user", "content": problem.prompt_text()}]
