"""Answer extraction and the ±5% rule on the answer formats MATH and SciBench (and models) actually use."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from toolwise.bench.answers import extract_answer, extract_mcq, extract_numeric, numeric_close, parse_number

SCIBENCH = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "scibench"

# (answer string, value): formats of MATH reference answers (\boxed contents) and SciBench answer_latex.
ANSWER_STRINGS = [
    ("24", 24.0),
    ("-2", -2.0),
    ("−2", -2.0),  # unicode minus (SciBench answer_number)
    ("+65.49", 65.49),
    ("7.5", 7.5),
    (".75", 0.75),
    (r"\frac{1}{2}", 0.5),
    (r"-\frac{1}{2}", -0.5),
    (r"\dfrac{3}{4}", 0.75),
    (r"\tfrac{5}{8}", 0.625),
    (r"\frac12", 0.5),
    (r"\frac{-7}{3}", -7 / 3),
    (r"2\frac{1}{4}", 2.25),  # MATH writes mixed numbers this way
    (r"-6\frac{1}{2}", -6.5),
    (r"\frac{\sqrt{3}}{2}", math.sqrt(3) / 2),
    (r"\frac{8 \pi}{\sqrt{64 \pi^2+1}}", 8 * math.pi / math.sqrt(64 * math.pi**2 + 1)),
    (r"2 \sqrt{2} \sin \frac{\pi}{2 \sqrt{2}}", 2 * math.sqrt(2) * math.sin(math.pi / (2 * math.sqrt(2)))),
    (r"10\sqrt{93}", 10 * math.sqrt(93)),
    (r"\sqrt[3]{27}", 3.0),
    (r"1800\pi", 1800 * math.pi),
    (r"-\pi", -math.pi),
    (r"\pi/4", math.pi / 4),
    (r"e^{-1}", math.exp(-1)),
    (r"2^{10}", 1024.0),
    (r"3(\frac{1}{3})-3(\frac{1}{3})^2+(\frac{1}{3})^3", 19 / 27),
    ("3 / 2", 1.5),
    ("-1/2", -0.5),
    (r"1.31 \times 10^{-3}", 1.31e-3),
    (r"-1.0 \times 10^2", -100.0),
    (r"2.26 \cdot 10^{-5}", 2.26e-5),
    ("3.2 x 10^-5", 3.2e-5),
    ("3.2·10⁻⁵", 3.2e-5),
    ("6.02e23", 6.02e23),
    ("1.2E+03", 1200.0),
    (r"10^{15}", 1e15),
    ("89,034.79", 89034.79),
    ("1,000,000", 1e6),
    (r"16{,}520.25", 16520.25),
    (r"\$5,000", 5000.0),
    (r"\$16,520.25", 16520.25),
    (r"12.5\%", 12.5),
    (r"30^\circ", 30.0),
    (r"{40}^{\circ}", 40.0),
    ("45°", 45.0),
    (r"x = 5", 5.0),
    (r"k=\frac{3}{2}", 1.5),
    (r"(0.829)", 0.829),
    (r"50.7 \mathrm{atm}", 50.7),
    (r"-0.28 \mathrm{~Pa} \mathrm{~m}^3 \mathrm{~mol}^{-1}", -0.28),
    (r"0.366 \mathrm{dm}^3\mathrm{~mol}^{-1}", 0.366),
    (r"432.07 \text{ kJ/mol}", 432.07),
    ("9.8 m/s^2", 9.8),
    ("5 m²", 5.0),
]


@pytest.mark.parametrize("text,value", ANSWER_STRINGS, ids=[t for t, _ in ANSWER_STRINGS])
def test_parse_number_reads_answer_formats(text: str, value: float) -> None:
    parsed = parse_number(text)
    assert parsed is not None and math.isclose(parsed, value, rel_tol=1e-9, abs_tol=1e-15)


@pytest.mark.parametrize(
    "text", [r"\frac{1}{0}", r"2^{2000}", "10**10**10", r"\sqrt{-1}", "", "none", r"\text{(C)}", "I am not sure"]
)
def test_no_number_when_there_is_none_or_it_is_not_finite(text: str) -> None:
    assert parse_number(text) is None


RESPONSES = [
    ("The answer is 42.", 42.0),
    ("So x = 3. Therefore the answer is 5. Since y = 2, we are done.", 5.0),
    (r"Thus the area is $\boxed{\frac{1}{2}}$.", 0.5),
    (r"The final answer is $\boxed{7}$. I hope it is correct.", 7.0),
    (r"First $\boxed{3}$ then, correcting myself, $\boxed{4}$", 4.0),
    (r"$\boxed{x = 12}$", 12.0),
    ("Solution: 3 steps of 2 give 6.\nAnswer: -0.28", -0.28),  # the paper's Solution/Answer format
    ("**Answer:** 24", 24.0),
    ("the answer is 1.2 × 10^3 J", 1200.0),
    ("the answer is approximately 5.4 m/s", 5.4),
    ("the answer is 1,234.", 1234.0),
    ("the answer is 12, because 3 times 4 is 12", 12.0),
    (r"The answer is $1.70 \times 10^{15}$ photons per second.", 1.70e15),
    ("the answer is 9.994e+07", 9.994e7),  # what the scripted oracle writes (format .6g)
    ("We get 12, then 15, so 17", 17.0),
    ("I do not know.", None),
]


@pytest.mark.parametrize("text,value", RESPONSES, ids=[t[:40] for t, _ in RESPONSES])
def test_extract_numeric_finds_the_final_answer(text: str, value: float | None) -> None:
    got = extract_numeric(text)
    assert got == pytest.approx(value) if value is not None else got is None


def test_five_percent_rule() -> None:
    assert numeric_close(104.9, 100.0) and numeric_close(95.1, 100.0)
    assert not numeric_close(105.1, 100.0) and not numeric_close(94.9, 100.0)
    assert numeric_close(-0.29, -0.28) and not numeric_close(0.28, -0.28)
    assert numeric_close(1.0e-9, 0.0) and not numeric_close(0.01, 0.0)
    assert not numeric_close(None, 1.0) and not numeric_close(math.nan, 1.0) and not numeric_close(math.inf, 1.0)
    assert numeric_close(2.0, 2.1, rel_tol=0.05) and not numeric_close(2.0, 2.2, rel_tol=0.05)


def test_dispatch_by_answer_type() -> None:
    assert extract_answer("mcq", "so the answer is (C).") == "C"
    assert extract_answer("numeric", r"$\boxed{\dfrac{3}{4}}$") == 0.75
    assert extract_answer("open", "anything") == "anything"
    assert extract_mcq(r"\boxed{B}") == "B" and extract_mcq("no letter here") is None


# SciBench rows whose answer_latex and answer_number disagree in the dataset itself, or use a form no
# scorer should guess at (a list, "±", cos of degrees, a form feed where "\f" of "\frac" was).
SCIBENCH_KNOWN_MISMATCHES = {
    " $1.7 \\times 10^{-5}$",
    " $2400\\cos({40}^{\\circ})$",
    " 1.69",
    " $3 \\pm 2 \\sqrt{2}$",
    "$74.8^\\circ$, $5.2^\\circ$",
    "$T_{electron} = 999.5$, $T_{proton} = 433$",
    " $3\x0crac{1}{3}$",
    " $\\frac{36}{125}$\r\n",
    "$3(\\frac{1}{3})-3(\\frac{1}{3})^2+(\\frac{1}{3})^3$",
}


def test_every_scibench_answer_latex_scores_against_its_answer_number() -> None:
    """All 580 SciBench answers: the LaTeX form, extracted as a model's boxed answer, scores as right."""
    if not SCIBENCH.is_dir():
        pytest.skip(f"offline SciBench copy not found at {SCIBENCH}")
    rows = [
        row
        for path in sorted(SCIBENCH.glob("*.json"))
        if path.name != "awl_test.json"
        for row in json.loads(path.read_text())["problems"]
    ]
    assert len(rows) == 580
    wrong = []
    for row in rows:
        key = parse_number(row["answer_number"])
        assert key is not None, row["answer_number"]
        if not numeric_close(extract_numeric(f"the answer is $\\boxed{{{row['answer_latex'].strip()}}}$"), key):
            wrong.append(row["answer_latex"])
    assert set(wrong) == SCIBENCH_KNOWN_MISMATCHES
