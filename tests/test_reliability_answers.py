"""Answer extraction never raises, stays linear, and reads hostile replies as no answer (issue 14, item 1).

The fuzzers are derandomized: the same examples every run, so a failure reproduces.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolwise.bench.answers import MAX_ANSWER_CHARS, as_text, extract_answer, parse_number

ANSWER_EXAMPLES = 3000
FUZZ = settings(
    max_examples=ANSWER_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces a hostile or confused model writes; the fuzzer strings them together.
FRAGMENTS = [
    "\\boxed{", "}", "{", "\\frac{", "\\sqrt[", "]", "^{", "^", "9", "0", "1.5", "e", "E-400", ".", ",", "-",
    "the answer is", "Answer:", "answer =", "option", "(", ")", "*", "**", " ", "  ", "\n", "\t", "A", "B", "C",
    "D", "\\text{", "\\times 10^{", "\\pi", "π", "°", "%", "$", "≈", "=", "\\left(", "\\right)", "−", "⁻¹²",
    "\ud800", "\udfff", "\x00", "€", "𝔸", "sqrt(", "exp(", "ln(", "1e308", "9" * 50, "\\dfrac", "\\\\",
]  # fmt: skip
texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(FRAGMENTS), max_size=120).map("".join),
    st.builds(lambda piece, n: piece * n, st.sampled_from(FRAGMENTS), st.integers(0, 5000)),
)
contents = st.one_of(
    texts,
    st.none(),
    st.lists(st.one_of(texts, st.fixed_dictionaries({"type": st.just("text"), "text": texts})), max_size=4),
    st.integers(),
    st.floats(allow_nan=True),
    st.dictionaries(st.text(max_size=5), texts, max_size=3),
)

# The inputs the issue reproduced, at sizes where a quadratic or cubic reader would take minutes.
PATHOLOGICAL = {
    "power tower": "\\boxed{9^{9^{9^{9^{9^{9}}}}}}",
    "deep fractions": "\\boxed{" + "\\frac{1}{" * 5000 + "2" + "}" * 5000 + "}",
    "deep parentheses": "the answer is " + "(" * 50_000 + "1" + ")" * 50_000,
    "answer is and spaces": "the answer is" + " " * 20_000,
    "answer is, spaces, a letter": "the answer is" + " " * 20_000 + "B",
    "option and spaces": "option" + " " * 20_000,
    "boxed and spaces": "\\boxed{" + " " * 20_000,
    "5,000-digit integer": "the answer is " + "9" * 5000,
    "5,000-digit boxed": "\\boxed{" + "9" * 5000 + "}",
    "unclosed braces": "\\boxed{" + "{" * 50_000,
    "lone surrogate": "the answer is \ud800 \\boxed{\udfff}",
    "nul bytes": "\x00" * 10_000,
    "a million characters": "x = 1 + " * 125_000,
    "times ten and spaces": "3" + " " * 5000 + "\\times" + " " * 5000 + "10^" + " " * 5000,
}


@pytest.mark.parametrize("answer_type", ["mcq", "numeric", "open"])
@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_answers_are_read_without_raising(name: str, answer_type: str) -> None:
    value = extract_answer(answer_type, PATHOLOGICAL[name])
    if answer_type == "mcq":
        assert value in (None, "A", "B", "C", "D")
    elif answer_type == "numeric":
        assert value is None or isinstance(value, float)
    else:
        assert isinstance(value, str)


def test_what_the_pathological_inputs_read_as() -> None:
    assert extract_answer("mcq", PATHOLOGICAL["answer is, spaces, a letter"]) == "B"
    assert extract_answer("mcq", PATHOLOGICAL["answer is and spaces"]) is None
    assert parse_number(PATHOLOGICAL["deep fractions"][7:-1]) is None  # deeper than any answer means
    assert parse_number("\\frac{\\frac{1}{2}}{4}") == 0.125  # nesting an answer does use still reads
    assert extract_answer("numeric", "so \\boxed{\\frac{3}{4}}") == 0.75


def test_content_in_any_shape_is_text() -> None:
    assert as_text(None) == ""
    assert (
        as_text([{"type": "text", "text": "the answer "}, "is ", {"type": "image"}, {"text": "B"}]) == "the answer is B"
    )
    assert extract_answer("mcq", [{"type": "text", "text": "the answer is C"}]) == "C"
    assert as_text("a\ud800b") == "a\ufffdb"
    assert as_text(42) == "42"


def test_only_the_tail_of_a_huge_reply_is_read() -> None:
    reply = "the answer is A. " + "blah " * MAX_ANSWER_CHARS + "so the answer is D"
    assert extract_answer("mcq", reply) == "D"


@FUZZ
@given(text=contents, answer_type=st.sampled_from(["mcq", "numeric", "open"]))
def test_fuzzed_answers_never_raise(text: object, answer_type: str) -> None:
    value = extract_answer(answer_type, text)
    if answer_type == "mcq":
        assert value in (None, "A", "B", "C", "D")
    elif answer_type == "numeric":
        assert value is None or isinstance(value, float)
    else:
        assert isinstance(value, str)
        value.encode("utf-8")  # no lone surrogate survives
