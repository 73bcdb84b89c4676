"""Reading the final answer out of a model's last message and checking it.

MCQ: a letter A-D ("the answer is B", "Answer: (B)", ``\\boxed{B}``).
Numeric: LaTeX or plain arithmetic (``\\frac``, ``\\sqrt``, ``\\pi``, powers,
``\\times 10^{n}``, scientific notation, thousands separators, percent and
degree signs) with trailing units ignored, evaluated by a whitelist evaluator
(never ``eval``); checked within a relative tolerance (the paper's ±5%).
"""

from __future__ import annotations

import ast
import logging
import math
import re
from typing import Any

log = logging.getLogger(__name__)

# Possessive quantifiers (``*+``): adjacent optional runs of spaces cannot trade characters, so a
# marker followed by thousands of spaces is read in linear time, not cubic.
_LETTER = r"\(?\**+\s*+([ABCD])\s*+\**+\)?"
_MCQ_PATTERNS = [
    re.compile(r"\\boxed\{\s*+(?:\\text\{)?\s*+([ABCD])\b", re.I),
    re.compile(r"answer\s++is\s*+:?\s*+(?:option\s*+)?" + _LETTER + r"(?![a-z])", re.I),
    re.compile(r"answer\s*+:\s*+(?:option\s*+)?" + _LETTER + r"(?![a-z])", re.I),
    re.compile(r"\boption\s++" + _LETTER + r"(?![a-z])", re.I),
]
# Answers sit at the end of a reply: longer texts are read from their last MAX_ANSWER_CHARS characters,
# a number from its last MAX_NUMBER_CHARS, and LaTeX nested deeper than MAX_NESTING is not a number.
MAX_ANSWER_CHARS = 20_000
MAX_NUMBER_CHARS = 1_000
MAX_NESTING = 32
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


_TEXT_COMMANDS = re.compile(r"\\(?:text|textbf|textit|mathrm|mathbf|mathit|mbox|operatorname)\s*\{([^{}]*)\}")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_TIMES_TEN = re.compile(r"(\d)\s*(?:\\times|\\cdot|×|⋅|·|x|\*)\s*10\s*(?:\^|\*\*)\s*\{?\s*([-+]?\d+)\s*\}?")
_EXPRESSION_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z]+)|(?P<op>\*\*|[-+*/()]))"
)
_FUNCTIONS: dict[str, Any] = {
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "ln": math.log,
    "exp": math.exp,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}


def _brace_group(s: str, i: int) -> tuple[str, int] | None:
    """The ``{...}`` group (braces matched) or single character starting at ``i``, and the index after it."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return None
    if s[i] != "{":
        return (s[i], i + 1) if s[i] != "\\" else None
    depth = 0
    for j in range(i, len(s)):
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        if depth == 0:
            return s[i + 1 : j], j + 1
    return None


def _expand_commands(s: str, depth: int = 0) -> str:
    """Rewrite ``\\frac``, ``\\sqrt`` and ``^{...}`` (nested) as plain arithmetic."""
    if depth > MAX_NESTING:
        raise _TooDeep(f"LaTeX nested more than {MAX_NESTING} levels")
    out = []
    i = 0
    while i < len(s):
        frac = re.match(r"\\[dt]?frac", s[i:])
        if frac:
            num = _brace_group(s, i + frac.end())
            den = _brace_group(s, num[1]) if num else None
            if num and den:
                out.append(f"(({_expand_commands(num[0], depth + 1)})/({_expand_commands(den[0], depth + 1)}))")
                i = den[1]
                continue
        root = re.match(r"\\sqrt\s*(?:\[([^\]]*)\])?", s[i:])
        if root:
            arg = _brace_group(s, i + root.end())
            if arg:
                inner = _expand_commands(arg[0], depth + 1)
                index = root.group(1)
                out.append(f"(({inner})**(1/({index})))" if index else f"sqrt({inner})")
                i = arg[1]
                continue
        if s[i] == "^":
            arg = _brace_group(s, i + 1)
            if arg:
                out.append(f"**({_expand_commands(arg[0], depth + 1)})")
                i = arg[1]
                continue
        out.append(s[i])
        i += 1
    return "".join(out)


def _latex_to_plain(s: str) -> str:
    """A LaTeX or plain-text answer as arithmetic text: units and markup stay as words, numbers as numbers."""
    s = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+", lambda m: "^{" + m.group(0).translate(_SUPERSCRIPTS) + "}", s)
    s = s.replace("−", "-").replace("\u2009", "").replace("\u202f", "")
    s = s.replace("\\!", "").replace("\\,", "").replace("\\;", "").replace("\\:", "").replace("\\ ", " ")
    s = s.replace("~", " ").replace("\\left", "").replace("\\right", "").replace("\\$", "").replace("$", "")
    s = s.replace("{,}", "").replace("\\%", "%").replace("\\pi", " pi ").replace("π", " pi ")
    s = re.sub(r"\^\s*\{?\s*\\circ\s*\}?|°|\\circ|\\degree", "", s)
    for _ in range(3):
        s = _TEXT_COMMANDS.sub(r" \1 ", s)
    s = re.sub(r"\\(sin|cos|tan|ln|exp)\b", r" \1", s)
    s = _TIMES_TEN.sub(r"\1e\2", s)
    s = re.sub(r"^\s*10\s*\^\s*\{?\s*([-+]?\d+)\s*\}?", r"1e\1", s)
    s = _expand_commands(s)
    s = re.sub(r"\\(?:times|cdot)|×|⋅|·", "*", s)
    s = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", s)  # thousands separators
    return s


class _TooDeep(ValueError):
    """LaTeX nested beyond MAX_NESTING: no answer a model means is written like that."""


class _Unsupported(ValueError):
    """Text that is not the arithmetic the evaluator knows (a name, a call, a comparison)."""


class _NotANumber(ValueError):
    """Well-formed arithmetic without a finite real value (1/0, 10^10^10, sqrt(-1))."""


def _evaluate(node: ast.AST) -> float:
    """Arithmetic on floats only: numbers, + - * / **, unary signs, pi, e and a few functions."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.Pow):
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow):
            if abs(right) > 1000:
                raise OverflowError("exponent too large")
            return float(left**right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        return float(_FUNCTIONS[node.func.id](_evaluate(node.args[0])))
    raise _Unsupported(f"not plain arithmetic: {ast.dump(node)[:80]}")


def _leading_expression(s: str) -> str:
    """The arithmetic at the start of ``s`` (up to the first word that is a unit or prose), with
    implicit products made explicit (``2 sqrt(3)`` -> ``2*sqrt(3)``)."""
    parts: list[str] = []
    previous = ""
    pos = 0
    while pos < len(s):
        token = _EXPRESSION_TOKEN.match(s, pos)
        if not token:
            break
        kind = token.lastgroup
        text = token.group(kind)
        if kind == "name" and text not in _FUNCTIONS and text not in _CONSTANTS:
            break
        opens_value = kind in ("number", "name") or text == "("
        if previous in ("number", "constant", ")") and opens_value:
            if previous == "number" and kind == "number":
                break  # "3 4" is two numbers, not a product
            parts.append("*")
        parts.append(text)
        previous = "constant" if kind == "name" and text in _CONSTANTS else (kind if kind != "op" else text)
        pos = token.end()
    expression = "".join(parts)
    while expression and expression[-1] in "+-*/(":
        expression = expression[:-1]
    return expression


def _arithmetic_value(s: str) -> float | None:
    """The value of the leading arithmetic; None when there is none; _NotANumber when it has no finite value."""
    expression = _leading_expression(s)
    if not expression:
        return None
    if expression.count("(") > MAX_NESTING:
        return None  # the parser and the evaluator recurse once per level
    try:
        tree = ast.parse(expression, mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError):  # ValueError: an int over 4,300 digits
        return None
    try:
        value = _evaluate(tree)
    except (_Unsupported, RecursionError):
        return None
    except (ZeroDivisionError, OverflowError, ValueError, TypeError) as exc:
        raise _NotANumber(expression) from exc
    if not math.isfinite(value):
        raise _NotANumber(expression)
    return value


def parse_number(text: str) -> float | None:
    """A number from a short answer string (LaTeX or plain); None if there is none.

    Understands ``\\frac``/``\\dfrac`` (nested), mixed numbers (``2\\frac{1}{2}``), ``\\sqrt``,
    ``\\pi``, powers, ``\\times 10^{n}``, scientific notation, thousands separators
    (``1,000`` and ``1{,}000``), percent and degree signs, ``$``, and a leading ``x =``; trailing
    units or words are ignored.
    """
    if text is None:
        return None
    s = str(text)[-MAX_NUMBER_CHARS:]
    s = re.sub(r"(?<![\d.])(\d+)\s*\\[dt]?frac\s*\{(\d+)\}\s*\{(\d+)\}", r"(\1+\2/\3)", s)  # mixed number
    try:
        s = _latex_to_plain(s)
    except _TooDeep:
        return None
    s = re.split(r"=|≈|\\approx", s)[-1]  # "x = 5", "1/3 ≈ 0.33": the value on the right
    s = s.strip().lstrip(":").strip()
    try:
        value = _arithmetic_value(s)
    except _NotANumber:
        return None
    if value is not None:
        return value
    match = _NUMBER.search(s)
    if not match:
        return None
    try:
        return float(match.group(0).replace(",", ""))
    except ValueError:
        return None


_ANSWER_MARKER = re.compile(r"answer\s*(?:is|:|=)\s*:?", re.I)


def extract_numeric(text: str) -> float | None:
    """The final numeric answer of a response.

    In order: the last ``\\boxed{...}``; else the first clause after the last "answer is" /
    "Answer:"; else the last number in the text.
    """
    if not text:
        return None
    boxed = last_boxed(text)
    if boxed is not None:
        value = parse_number(boxed)
        if value is not None:
            return value
    markers = list(_ANSWER_MARKER.finditer(text))
    if markers:
        clause = re.split(r"\n|\.(?=\s|$)|;\s|,\s(?!\d{3})", text[markers[-1].end() :].strip(), maxsplit=1)[0]
        value = parse_number(clause[:200])
        if value is not None:
            return value
    numbers = _NUMBER.findall(text.replace("−", "-"))
    if numbers:
        try:
            return float(numbers[-1].replace(",", ""))
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


def as_text(content: Any) -> str:
    """A reply's content as one string, whatever shape a backend gave it.

    None is empty; a list of parts (``[{"type": "text", "text": ...}, ...]`` or strings) is joined;
    anything else is its ``str``. Lone surrogates (invalid UTF-16 halves) become U+FFFD, so the text
    can always be written as UTF-8.
    """
    if content is None:
        text = ""
    elif isinstance(content, str):
        text = content
    elif isinstance(content, list | tuple):
        parts = []
        for part in content:
            if isinstance(part, dict):
                value = part.get("text", part.get("content", ""))
                parts.append(value if isinstance(value, str) else "")
            else:
                parts.append(part if isinstance(part, str) else str(part))
        text = "".join(parts)
    else:
        text = str(content)
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def extract_answer(answer_type: str, text: Any) -> Any:
    """Dispatch on the problem's answer type; open answers stay as text.

    Never raises: a reply that cannot be read is no answer (None), logged. MCQ and numeric answers are
    read from the last MAX_ANSWER_CHARS characters, in time linear in that length.
    """
    text = as_text(text)
    if answer_type not in ("mcq", "numeric"):
        return text
    tail = text[-MAX_ANSWER_CHARS:]
    try:
        return extract_mcq(tail) if answer_type == "mcq" else extract_numeric(tail)
    except (Exception, RecursionError, MemoryError) as exc:  # a bug here must cost one answer, not the run
        log.warning(
            "could not read a %s answer from a reply (%s: %s); scored as no answer",
            answer_type,
            type(exc).__name__,
            str(exc)[:200],
        )
        return None
