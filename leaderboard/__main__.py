"""``python -m toolwise.leaderboard PATHS [OPTIONS]``: the leaderboard command without the main CLI."""

import typer

from toolwise.leaderboard.cli import leaderboard_command

if __name__ == "__main__":
    typer.run(leaderboard_command)
