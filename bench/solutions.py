"""The rule every tool-free worked solution (a WKD target) obeys: it states facts, it never narrates a tool run.

A worked solution teaches the knowledge a tool provides ("a pendulum of length 1.2 m has period
2π√(L/g) = 2.20 s"), so it must not name the tool, a simulator, code or a program. Datasets check their
generated solutions with :func:`mentions_tools`, and training checks every target with it, whatever its source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Narration of a computation, not mathematics: "function" alone ("the function f(x)"), "code" alone ("a 4-digit
# code") and "program" alone ("at the beginning of a program, the band...") are ordinary words in MATH problems,
# so they count only next to a call or a run. Tuned on the 3,781 MATH and SciBench problem texts of the offline
# copies: 1 hit ("surgical tools").
_NARRATION = re.compile(
    r"""
    \b(?:
        tools?(?:[ -]calls?)?
      | function[ -]calls?
      | call(?:s|ed|ing)?\ (?:the|a|an|this|that)\ (?:\w+\ )?function
      | simulat\w*
      | emulat\w*
      | python
      | (?:run|runs|running|ran|execut\w*|writ\w*|wrote)\ (?:(?:the|this|that|a|some|my|our|following|short)\ ){0,2}code
      | code\ (?:prints|printed|outputs?|gives|gave|returns?|returned|shows|snippet)
      | snippets?
      | (?:run|runs|running|ran|execut\w*|writ\w*|wrote)\ (?:(?:the|this|that|a|my|our|short|simple)\ ){0,2}programs?
      | programs?\ (?:prints|printed|outputs?|gives|gave|returns?|returned|shows|computes|computed)
      | scripts?
      | comput\w*\ (?:it|this|that|them)\ (?:with|using|in|by)
      | the\ (?:model|forecast)\ (?:gives|gave|predicts|returns|returned|outputs|shows|finds|found)
      | solvers?
      | integrators?
      | numerical(?:ly)?\ integrat\w*
      | (?:converged|finer|fine|numerical|computational)\ (?:grid|mesh)
    )\b
    """,
    re.IGNORECASE | re.VERBOSE,
)


def mentions_tools(text: str, tool_names: Iterable[str] = ()) -> str | None:
    """The first phrase of ``text`` that names a tool or narrates a tool run, or None when there is none.

    ``tool_names`` are the problem's tools: any of them in the text (any case) is a mention.
    """
    lowered = text.lower()
    for name in tool_names:
        if name and name.lower() in lowered:
            return name
    match = _NARRATION.search(text)
    return match.group(0) if match else None
