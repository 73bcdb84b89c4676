"""Limits on the whole snippet, not one process: total memory, total processes, total files.

setrlimit limits each process; a snippet that forks, maps memfds or fills the scratch folder with empty
files escapes those. Three kernel mechanisms close that gap, one enclosure per snippet:

* a **memory cgroup** (v2 ``memory.max`` or v1 ``memory.limit_in_bytes`` + ``memsw``) holding every process of
  the jail: anonymous memory, memfd and tmpfs pages and kernel memory (inodes) all count, and the kernel
  OOM-kills inside the cgroup when the sum passes the limit;
* a **pids cgroup** (``pids.max``): processes and threads of the whole jail together;
* a **scratch tmpfs mounted by the harness** with ``size=`` and ``nr_inodes=``, bound into the jail as
  ``/sandbox``, ``/dev/shm`` (and ``/tmp`` when the interpreter lives under ``/tmp``): one byte budget and
  one file budget for all writable places (bubblewrap's own ``--tmpfs`` cannot cap inodes).

They need the harness to be root (or a delegated cgroup v2 subtree for the cgroups). ``support()`` says
which are available; the runner refuses to start a snippet without all three unless
``TOOLWISE_SANDBOX_TOTALS=off`` (then only the per-process limits hold, and docs/sandbox.md says so).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from toolwise.tools.python_sandbox._limits import SandboxLimits

OPT_OUT_ENV = "TOOLWISE_SANDBOX_TOTALS"
CGROUP_ROOT = Path("/sys/fs/cgroup")
# The jail's own processes besides the snippet's: bubblewrap outside the namespace and its reaper (pid 1).
JAIL_OVERHEAD_PROCESSES = 2
# Room above the snippet's memory for bubblewrap, the interpreter's page cache and kernel objects.
MEMORY_SLACK_MIB = 64
_MNT_DETACH = 2


class TotalsUnavailable(RuntimeError):
    """This machine cannot cap the snippet's totals (and the user did not opt out)."""


def opted_out() -> bool:
    return os.environ.get(OPT_OUT_ENV, "").strip().lower() in ("off", "0", "false", "no")


def memory_budget_bytes(limits: SandboxLimits) -> int:
    """What all processes of a snippet may hold together: its memory, its scratch files, a little slack."""
    return (limits.memory_mib + limits.scratch_mib + MEMORY_SLACK_MIB) << 20


@dataclass(frozen=True)
class CgroupLayout:
    """Where new cgroups go: one folder per controller (v1) or one folder for both (v2)."""

    version: int
    memory_parent: Path
    pids_parent: Path


def _own_cgroups() -> dict[str, str]:
    """controller -> this process's cgroup path ("" -> the v2 path)."""
    paths: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


def _writable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


@functools.cache
def cgroup_layout() -> CgroupLayout | str:
    """The cgroup folders this process may create children in, or why there are none."""
    try:
        own = _own_cgroups()
    except OSError as exc:
        return f"cannot read /proc/self/cgroup: {exc}"
    if (CGROUP_ROOT / "cgroup.controllers").exists():  # pure cgroup v2
        parent = CGROUP_ROOT / own.get("", "/").lstrip("/")
        enabled = (parent / "cgroup.subtree_control").read_text().split() if parent.exists() else []
        if not {"memory", "pids"} <= set(enabled) or not _writable(parent):
            return (
                f"cgroup v2: {parent} does not delegate the memory and pids controllers to this user "
                "(cgroup.subtree_control)"
            )
        return CgroupLayout(2, parent, parent)
    memory = CGROUP_ROOT / "memory" / own.get("memory", "/").lstrip("/")
    pids = CGROUP_ROOT / "pids" / own.get("pids", "/").lstrip("/")
    if not (_writable(memory) and (memory / "memory.limit_in_bytes").exists()):
        return f"cgroup v1: no writable memory cgroup at {memory}"
    if not (_writable(pids) and (pids / "cgroup.procs").exists()):
        return f"cgroup v1: no writable pids cgroup at {pids}"
    return CgroupLayout(1, memory, pids)


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount_tmpfs(target: Path, size_bytes: int, inodes: int) -> None:
    options = f"size={size_bytes},nr_inodes={inodes},mode=0755".encode()
    if _libc().mount(b"tmpfs", str(target).encode(), b"tmpfs", 0, options) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount tmpfs on {target}: {os.strerror(errno)}")


def _unmount(target: Path) -> None:
    _libc().umount2(str(target).encode(), _MNT_DETACH)


@functools.cache
def support() -> str:
    """ "" when memory, process and file totals can all be enforced here, else what is missing."""
    if os.geteuid() != 0:
        return "the harness is not root, so it cannot mount a scratch tmpfs with a file limit (nr_inodes)"
    layout = cgroup_layout()
    if isinstance(layout, str):
        return layout
    try:
        with Enclosure.open(SandboxLimits()) as enclosure:
            if not enclosure.scratch:
                return "could not mount a scratch tmpfs"
    except OSError as exc:
        return f"could not build the enclosure: {exc}"
    return ""


@dataclass
class Enclosure:
    """One snippet's cgroups and scratch mount; ``close()`` removes them (after the jail is gone).

    Their names carry the harness's pid (``toolwise-<pid>-…``, ``toolwise-scratch-<pid>-…``), so what a dead
    harness left behind is told apart from the live enclosures of other processes on the same host."""

    cgroups: list[Path] = field(default_factory=list)
    scratch: Path | None = None
    version: int = 0

    @classmethod
    def open(cls, limits: SandboxLimits) -> Enclosure:
        layout = cgroup_layout()
        if isinstance(layout, str):
            raise OSError(layout)
        enclosure = cls(version=layout.version)
        try:
            name = f"toolwise-{os.getpid()}-{secrets.token_hex(4)}"
            memory = layout.memory_parent / name
            memory.mkdir()
            enclosure.cgroups.append(memory)
            budget = memory_budget_bytes(limits)
            pids_max = str(limits.max_processes + JAIL_OVERHEAD_PROCESSES)
            if layout.version == 2:
                (memory / "memory.max").write_text(str(budget))
                with contextlib.suppress(OSError):
                    (memory / "memory.swap.max").write_text("0")
                (memory / "pids.max").write_text(pids_max)
            else:
                (memory / "memory.limit_in_bytes").write_text(str(budget))
                with contextlib.suppress(OSError):  # absent without swap accounting
                    (memory / "memory.memsw.limit_in_bytes").write_text(str(budget))
                pids = layout.pids_parent / name
                pids.mkdir()
                enclosure.cgroups.append(pids)
                (pids / "pids.max").write_text(pids_max)
            scratch = Path(tempfile.mkdtemp(prefix=f"toolwise-scratch-{os.getpid()}-"))
            _mount_tmpfs(scratch, limits.scratch_mib << 20, limits.max_files)
            enclosure.scratch = scratch
            for sub in ("work", "shm", "tmp"):
                (scratch / sub).mkdir(mode=0o1777)
                os.chmod(scratch / sub, 0o1777)  # mkdir's mode is masked by the umask
        except BaseException:
            enclosure.close()
            raise
        return enclosure

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` behind a shell that moves itself into every cgroup and then execs it (exit 125 if it cannot),
        so bubblewrap and all it starts are inside from their first instruction."""
        enter = 'for f in "$@"; do [ "$f" = -- ] && { shift; exec "$@"; }; echo $$ > "$f" || { echo "sandbox setup failed: cannot enter $f" >&2; exit 125; }; shift; done'
        return ["/bin/sh", "-c", enter, "sh", *(str(c / "cgroup.procs") for c in self.cgroups), "--", *argv]

    def allow(self, uid: int) -> None:
        """Let a process of ``uid`` move itself in (bubblewrap started as an ordinary user by a root harness)."""
        for cgroup in self.cgroups:
            os.chown(cgroup / "cgroup.procs", uid, uid)

    def memory_exceeded(self) -> bool:
        """Did the kernel OOM-kill a process of the snippet for the memory total?"""
        if not self.cgroups:
            return False
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        with contextlib.suppress(OSError, ValueError):
            for line in (self.cgroups[0] / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
        return False

    def close(self) -> None:
        if self.scratch is not None:
            _unmount(self.scratch)
            with contextlib.suppress(OSError):
                self.scratch.rmdir()
            self.scratch = None
        for cgroup in reversed(self.cgroups):
            for _ in range(50):  # the jail's last processes may still be exiting
                try:
                    cgroup.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        self.cgroups = []

    def __enter__(self) -> Enclosure:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
