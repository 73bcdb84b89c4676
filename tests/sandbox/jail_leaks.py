"""What a sandbox call may leave behind, counted for this test process only.

Under xdist another worker runs jails at the same moment; its live jails are not this process's leaks. All the
sandbox makes names the harness that made it: cgroups ``toolwise-<pid>-<hex>``, scratch mounts
``toolwise-scratch-<pid>-<random>``, and a jail process sits in such a cgroup (with totals off, or before it has
entered one, under its harness in the process tree). A leftover counts when it is this process's, or when nobody
alive made it (a real orphan).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from toolwise.tools.python_sandbox import _totals

# The bootstrap's source (passed with -c) is on the command line of every jail's interpreter and wrapper shell.
JAIL_NEEDLE = b"SETUP_FAILED = 125"
_ENCLOSURE_NAME = re.compile(r"toolwise-(?:scratch-)?(\d+)-[^/]+")


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def counts_here(owner: int | None) -> bool:
    """Whether a leftover made by ``owner`` is this process's to answer for: its own, or its maker is gone."""
    return owner is None or owner == os.getpid() or not alive(owner)


def named_owner(name: str) -> int | None:
    """The pid in a cgroup or scratch folder name the sandbox made; None for any other name."""
    match = _ENCLOSURE_NAME.fullmatch(name)
    return int(match.group(1)) if match else None


def leftovers() -> tuple[list[str], list[Path]]:
    """Scratch mounts still mounted and cgroups still present that this process (or a dead harness) made."""
    mounts = [Path(line.split()[1]) for line in Path("/proc/self/mounts").read_text().splitlines()]
    scratch = [str(m) for m in mounts if m.name.startswith("toolwise-scratch-") and counts_here(named_owner(m.name))]
    layout = _totals.cgroup_layout()
    cgroups: list[Path] = []
    if not isinstance(layout, str):
        for parent in sorted({layout.memory_parent, layout.pids_parent}):
            cgroups += [p for p in parent.glob("toolwise-*") if p.is_dir() and counts_here(named_owner(p.name))]
    return scratch, cgroups


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def is_jail(cmdline: bytes) -> bool:
    """A jail's interpreter or wrapper shell (the bootstrap source), or bubblewrap with a seccomp filter."""
    return JAIL_NEEDLE in cmdline or (cmdline.startswith(b"bwrap\0") and b"--seccomp" in cmdline)


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])  # the name in parentheses may hold spaces


def jail_owner(pid: int) -> int | None:
    """The harness that started jail process ``pid``: the one its cgroup names, else the first ancestor that is
    not part of the jail; None when init adopted it (its harness is gone). Raises OSError once ``pid`` exited."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        if (owner := named_owner(line.rpartition("/")[2])) is not None:
            return owner
    while pid > 1 and is_jail(_cmdline(pid)):
        pid = _parent(pid)
    return pid if pid > 1 else None


def jail_processes(marker: str | None = None, everyone: bool = False) -> list[int]:
    """Pids of jail processes still alive that this process answers for (all of the host's with ``everyone``),
    or of any process on the host naming ``marker`` (a name unique to one test)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        try:
            cmdline = _cmdline(pid)
            if marker is not None:
                hit = marker.encode() in cmdline
            else:
                hit = is_jail(cmdline) and (everyone or counts_here(jail_owner(pid)))
        except OSError:  # it exited while we looked: not left behind
            continue
        if hit:
            found.append(pid)
    return found


def assert_no_jail_left(marker: str | None = None, settle_seconds: float = 2.0) -> None:
    """Every process of this process's jails is gone shortly after the call returned (the PID namespace died)."""
    deadline = time.monotonic() + settle_seconds
    while (left := jail_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"jail processes outlived the call: {left}"
