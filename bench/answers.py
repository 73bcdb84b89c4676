"""Reading the final answer out of a model's last message and checking it.

MCQ: a letter A-D ("the answer is B", "Answer: (B)", ``\\boxed{B}``).
Numeric: a number with units stripped, LaTeX fractions, ``\\times 10^{n}``,
scientific notation and thousands separators understood; checked within a
relative tolerance (the paper's ±5%).
"""

from __future__ import annotations

import math
import re
from typing import Any

_LETTER = r"\(?\**\s*([ABCD])\s*\**\)?"
_MCQ_PATTERNS = [
    re.compile(r"\\boxed\{\s*(?:\\text\{)?\s*([ABCD])\b", re.I),
    re.compile(r"answer\s+is\s*:?\s*(?:option\s*)?" + _LETTER + r"(?![a-z])", re.I),
    re.compile(r"answer\s*:\s*(?:option\s*)?" + _LETTER + r"(?![a-z])", re.I),
    re.compile(r"\boption\s+" + _LETTER + r"(?![a-z])", re.I),
]
_NUMBER = re.compile(r"[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?|[-+−]?\.\d+(?:[eE][-+]?\d+)?")


def extract_mcq(text: str) -> str | None:
    """The chosen letter, or None when the text commits to none."""
    if not text:
        return None
    for pattern in _MCQ_PATTERNS:
        matches = pattern.findall(text)
        if matches:
            return matches[-1].upper()
    stripped = text.strip().strip("*.()[] ")
    if stripped.upper() in ("A", "B", "C", "D"):
        return stripped.upper()
    return None


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` (braces matched), or None."""
    start = text.rfind("\\boxed")
    if start < 0:
        return None
    i = text.find("{", start)
    if i < 0:
        return None
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j]
    return None


def _latex_to_plain(s: str) -> str:
    s = s.replace("\\!", "").replace("\\,", "").replace("\\;", "").replace("\\ ", " ")
    s = s.replace("\\left", "").replace("\\right", "").replace("$", "")
    s = re.sub(r"\\(?:text|mathrm|mbox|operatorname)\{([^{}]*)\}", r"\1", s)
    s = re.sub(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", s)
    s = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", s)
    s = re.sub(r"(\d)\s*(?:\\times|\\cdot|×|x|\*)\s*10\s*\^\s*\{?\s*([-+−]?\d+)\s*\}?", r"\1e\2", s)
    s = re.sub(r"^\s*10\s*\^\s*\{?\s*([-+−]?\d+)\s*\}?", r"1e\1", s)
    s = s.replace("−", "-").replace("\\%", "%")
    return s


def parse_number(text: str) -> float | None:
    """A number from a short answer string; None if there is none."""
    if text is None:
        return None
    s = _latex_to_plain(str(text)).strip()
    simple = re.fullmatch(r"\(?\s*([-+]?[\d.eE+-]+)\s*\)?\s*/\s*\(?\s*([-+]?[\d.eE+-]+)\s*\)?", s)
    if simple:
        try:
            den = float(simple.group(2))
            return float(simple.group(1)) / den if den else None
        except ValueError:
            pass
    root = re.fullmatch(r"([-+]?\d*\.?\d*)\s*\*?\s*sqrt\(([\d.]+)\)", s)
    if root:
        coef = root.group(1)
        factor = -1.0 if coef == "-" else (1.0 if coef in ("", "+") else float(coef))
        return factor * math.sqrt(float(root.group(2)))
    frac = re.search(r"\(([-+]?[\d.]+(?:e[-+]?\d+)?)\)/\(([-+]?[\d.]+(?:e[-+]?\d+)?)\)", s)
    if frac:
        den = float(frac.group(2))
        if den:
            return float(frac.group(1)) / den
    match = _NUMBER.search(s)
    if not match:
        return None
    try:
        return float(match.group(0).replace(",", "").replace("−", "-"))
    except ValueError:
        return None


def extract_numeric(text: str) -> float | None:
    """The final numeric answer of a response."""
    if not text:
        return None
    boxed = last_boxed(text)
    if boxed is not None:
        value = parse_number(boxed)
        if value is not None:
            return value
    for marker in (r"answer\s+is\s*:?", r"answer\s*:"):
        parts = re.split(marker, text, flags=re.I)
        if len(parts) > 1:
            value = parse_number(parts[-1].strip()[:200])
            if value is not None:
                return value
    numbers = _NUMBER.findall(_latex_to_plain(text))
    if numbers:
        try:
            return float(numbers[-1].replace(",", "").replace("−", "-"))
        except ValueError:
            return None
    return None


def numeric_close(predicted: float | None, reference: float, rel_tol: float = 0.05) -> bool:
    """Within ``rel_tol`` of the reference (absolute 1e-9 when the reference is 0)."""
    if predicted is None or not math.isfinite(predicted):
        return False
    if reference == 0:
        return abs(predicted) <= 1e-9
    return abs(predicted - reference) <= rel_tol * abs(reference)


def extract_answer(answer_type: str, text: str) -> Any:
    """Dispatch on the problem's answer type; open answers stay as text."""
    if answer_type == "mcq":
        return extract_mcq(text)
    if answer_type == "numeric":
        return extract_numeric(text)
    return text
