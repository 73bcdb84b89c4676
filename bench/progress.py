"""One progress bar per lm_eval run: finished problems (both modes done), tool calls and failures so far.

lm-eval hands every request of every task to one ``generate_until`` call, so one bar covers the run. It is
drawn only on a terminal: a log file or a pipe gets no carriage-return noise.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import TextIO

from tqdm.auto import tqdm

from toolwise.bench.transcript import Transcript


def is_terminal(stream: TextIO | None = None) -> bool:
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class ProblemProgress:
    """Counts a problem as finished when all its conversations are; ``keys[i]`` names request i's problem."""

    def __init__(self, keys: Sequence[Hashable], desc: str = "toolwise", enabled: bool | None = None) -> None:
        self.keys = list(keys)
        self.open = Counter(self.keys)  # conversations still running, per problem
        self.problems_done = 0
        self.tool_calls = 0
        self.tool_errors = 0
        self.failed: set[Hashable] = set()  # problems with a conversation that ended on an error
        enabled = is_terminal() if enabled is None else enabled
        self.bar = tqdm(total=len(self.open), desc=desc, unit="problem", disable=not enabled, dynamic_ncols=True)

    def finished(self, index: int, transcript: Transcript) -> None:
        """Request ``index`` ended with ``transcript``."""
        key = self.keys[index]
        self.tool_calls += len(transcript.tool_calls)
        self.tool_errors += transcript.tool_errors
        if transcript.error is not None:
            self.failed.add(key)
        self.open[key] -= 1
        self.bar.set_postfix_str(self.postfix(), refresh=False)
        if self.open[key] == 0:
            self.problems_done += 1
            self.bar.update(1)  # redraws, postfix included

    def postfix(self) -> str:
        return f"tool calls {self.tool_calls} ({self.tool_errors} errors), failed {len(self.failed)}"

    def close(self) -> None:
        self.bar.close()
