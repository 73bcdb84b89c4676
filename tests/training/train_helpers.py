"""A toy training domain (multiplication MCQs and open questions on the toy_multiply tool) and test policies."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from typing import Any

from toy_domain import toy_multiply  # noqa: F401  (registers the tool)

from toolwise.bench.backends.base import AssistantTurn, Conversation
from toolwise.bench.backends.scripted import correct_text, wrong_text
from toolwise.bench.problem import LETTERS, Problem, ToolCall

OPEN_SCORER = "train_helpers:score_product_guess"


def score_product_guess(problem: Problem, text: str) -> float:
    """Graded open answer: 1 at the product, falling linearly to 0 at 50 % off."""
    numbers = re.findall(r"-?\d+(?:\.\d+)?", text.split("Answer:")[-1])
    if not numbers:
        return 0.0
    target = float(problem.answer["target"])
    return max(0.0, 1.0 - abs(float(numbers[-1]) - target) / (0.5 * abs(target)))


def product_mcq(index: int, a: int, b: int, prefix: str, gap: float = 10, decimals: int = 1) -> Problem:
    """The question "What is a times b?", four options ``gap`` apart around the product, key letters cycling A-D."""
    product, key = a * b, LETTERS[index % 4]
    choices = {letter: f"{product + gap * (k - LETTERS.index(key)):.{decimals}f}" for k, letter in enumerate(LETTERS)}
    return Problem(
        id=f"{prefix}-{index:03d}",
        domain="toy",
        question=f"What is {a} times {b}?",
        answer_type="mcq",
        answer=key,
        choices=choices,
        tools=["toy_multiply"],
        reference_calls=[ToolCall("toy_multiply", {"a": a, "b": b})],
        solution=f"{a} times {b} is {product}, which is option {key}. So the answer is {key}",
    )


def train_problems(n: int, seed: int = 0, n_open: int = 0, prefix: str = "toytrain") -> list[Problem]:
    """``n`` MCQs (key letters cycling A-D) and ``n_open`` open questions, with tool-grounded solutions."""
    rng = random.Random(seed)
    problems = []
    for i in range(n + n_open):
        a, b = rng.randint(2, 30), rng.randint(2, 30)
        product = a * b
        call = ToolCall("toy_multiply", {"a": a, "b": b})
        if i < n:
            problems.append(product_mcq(i, a, b, prefix))
        else:
            problems.append(
                Problem(
                    id=f"{prefix}-open-{i:03d}",
                    domain="toy",
                    question=f"Estimate the product of {a} and {b}.",
                    answer_type="open",
                    answer={"scorer": OPEN_SCORER, "target": product, "reference_answer": f"Answer: {product}"},
                    tools=["toy_multiply"],
                    reference_calls=[call],
                    solution=f"{a} times {b} is {product}. Answer: {product}",
                )
            )
    return problems


class KnownAccuracyBackend:
    """Answers question ``id`` correctly on the first ``round(k * accuracy[id])`` of its samples, wrong after."""

    name = "known-accuracy"

    def __init__(self, accuracy: dict[str, float], k: int) -> None:
        self.accuracy = accuracy
        self.k = k
        self.asked: dict[str, int] = defaultdict(int)

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        replies = []
        for conv in conversations:
            problem = conv.problem
            index = self.asked[problem.id]
            self.asked[problem.id] += 1
            right = index < round(self.k * self.accuracy[problem.id])
            replies.append(AssistantTurn(content=correct_text(problem) if right else wrong_text(problem)))
        return replies


class ProposalBackend:
    """Open-question proposals: the j-th sample of a question guesses the product times (1 + 0.1 j)."""

    name = "proposals"

    def __init__(self) -> None:
        self.asked: dict[str, int] = defaultdict(int)

    def generate(self, conversations: list[Conversation]) -> list[AssistantTurn]:
        replies = []
        for conv in conversations:
            j = self.asked[conv.problem.id]
            self.asked[conv.problem.id] += 1
            target: Any = conv.problem.answer["target"] if conv.problem.answer_type == "open" else 0
            replies.append(AssistantTurn(content=f"Roughly. Answer: {round(target * (1 + 0.1 * j))}"))
        return replies
