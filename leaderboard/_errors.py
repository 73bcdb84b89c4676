"""The two things the leaderboard tells its user when input is not as expected."""

from __future__ import annotations


class ResultsError(ValueError):
    """A path cannot be read as ``lm_eval --output_path`` output; the message names the file and the reason."""


class LeaderboardWarning(UserWarning):
    """Input was usable but something was set aside (an older run, a task that is not a toolwise task, ...)."""
