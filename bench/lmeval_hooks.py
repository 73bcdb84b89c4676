"""Placeholder hook (replaced below)."""


def install(force: bool = False) -> None:
    return None
