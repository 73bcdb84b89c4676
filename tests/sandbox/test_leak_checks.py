"""The leak checks of the sandbox tests count what this test process left behind, and nothing of another live
process: under xdist the other worker's jails, cgroups and scratch mounts are live at the same moment.

No test here leaves a real orphan (a leftover of a dead harness): every worker's check would count it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from jail_leaks import JAIL_NEEDLE, assert_no_jail_left, counts_here, jail_owner, jail_processes, leftovers, named_owner

from toolwise.tools.python_sandbox import SandboxLimits, _totals

# A process the checks take for a jail: the bootstrap's marker on its command line. It says "ready" once it runs:
# right after exec its /proc cmdline can still read empty, so a test waits for that line before it looks.
SLEEP = "import time; print('ready', flush=True); time.sleep(120)"
LOOKALIKE = [sys.executable, "-c", SLEEP, JAIL_NEEDLE.decode()]
# Another harness: it starts a lookalike jail and keeps it until its stdin closes. Its own command line must not
# hold the marker, so the marker is put together at run time.
OTHER_HARNESS = """
import subprocess, sys
sleep = "import time; print('ready', flush=True); time.sleep(120)"
jail = subprocess.Popen([sys.executable, "-c", sleep, "SETUP_FAILED" + " = 125"], stdout=subprocess.PIPE)
jail.stdout.readline()
print(jail.pid, flush=True)
sys.stdin.read()
jail.kill()
jail.wait()
"""
# Another harness with a real enclosure (cgroups and scratch mount), closed when its stdin closes.
OTHER_ENCLOSURE = """
import sys
from toolwise.tools.python_sandbox import SandboxLimits, _totals
enclosure = _totals.Enclosure.open(SandboxLimits())
print(enclosure.scratch, *enclosure.cgroups, flush=True)
sys.stdin.read()
enclosure.close()
"""


def test_a_jail_this_process_leaves_behind_fails_the_check() -> None:
    stray = subprocess.Popen(LOOKALIKE, stdout=subprocess.PIPE)
    try:
        assert stray.stdout is not None and stray.stdout.readline() == b"ready\n"
        assert stray.pid in jail_processes()
        with pytest.raises(AssertionError, match=rf"outlived the call: \[.*\b{stray.pid}\b"):
            assert_no_jail_left(settle_seconds=0.2)
    finally:
        stray.kill()
        stray.communicate()
    assert stray.pid not in jail_processes(everyone=True)


def test_the_live_jail_of_another_process_is_not_counted() -> None:
    harness = subprocess.Popen([sys.executable, "-c", OTHER_HARNESS], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert harness.stdout is not None
        jail = int(harness.stdout.readline())
        assert jail in jail_processes(everyone=True) and jail_owner(jail) == harness.pid
        assert jail not in jail_processes()
        assert_no_jail_left(settle_seconds=0)
    finally:
        harness.communicate(b"")
    assert harness.returncode == 0


def test_a_jail_process_that_lost_its_parent_counts_for_the_harness_its_cgroup_names(totals: None) -> None:
    # Through the enclosure's own wrapper, as a real jail starts: the process is in this harness's cgroups,
    # then its parent exits and init adopts it, so only the cgroup still says whose it is.
    code = "import os, time\npid = os.fork()\nif pid == 0:\n    time.sleep(120)\nprint(pid, flush=True)"
    enclosure = _totals.Enclosure.open(SandboxLimits())
    orphan = None
    try:
        parent = subprocess.Popen(enclosure.wrap([*LOOKALIKE[:2], code, JAIL_NEEDLE.decode()]), stdout=subprocess.PIPE)
        assert parent.stdout is not None
        orphan = int(parent.stdout.readline())
        parent.wait()
        parent.stdout.close()
        assert jail_owner(orphan) == os.getpid() and orphan in jail_processes()
        with pytest.raises(AssertionError, match=rf"outlived the call: \[.*\b{orphan}\b"):
            assert_no_jail_left(settle_seconds=0.2)
    finally:
        if orphan is not None:
            os.kill(orphan, signal.SIGKILL)
        enclosure.close()  # waits for the killed process to leave the cgroups


def test_leftovers_are_this_processs_enclosures_not_another_live_harnesss(totals: None) -> None:
    mine = _totals.Enclosure.open(SandboxLimits())
    try:
        scratch, cgroups = leftovers()
        assert scratch == [str(mine.scratch)] and sorted(cgroups) == sorted(mine.cgroups)
    finally:
        mine.close()
    assert leftovers() == ([], [])

    other = subprocess.Popen([sys.executable, "-c", OTHER_ENCLOSURE], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert other.stdout is not None
        its_scratch, *its_cgroups = other.stdout.readline().decode().split()
        assert Path(its_scratch).is_mount() and all(Path(c).is_dir() for c in its_cgroups)
        assert {named_owner(Path(p).name) for p in [its_scratch, *its_cgroups]} == {other.pid}
        assert leftovers() == ([], [])
    finally:
        other.communicate(b"")
    assert other.returncode == 0 and not Path(its_scratch).exists()


def test_a_leftover_counts_when_its_maker_is_this_process_or_gone() -> None:
    gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)
    assert counts_here(os.getpid()) and counts_here(gone) and counts_here(None)
    assert not counts_here(os.getppid())  # alive, not this process
    assert named_owner(f"toolwise-scratch-{gone}-k2x_9q1a") == gone and named_owner(f"toolwise-{gone}-0a1b2c3d") == gone
    assert named_owner("toolwise-scratch-k2x_9q1a") is None  # no maker named: an orphan wherever it was found
