"""The bubblewrap command line that builds the jail around one snippet.

The jail is a fresh mount, PID, network, IPC and UTS namespace whose file
system holds only read-only copies of what the interpreter needs (the system
library folders, the Python installation and its site-packages) plus a
size-limited private tmpfs at ``/sandbox`` (the working directory) and
``/dev/shm``. No ``/bin``, no ``/etc`` besides the loader cache, no home, no
host ``/tmp``, no ``/sys``; ``/proc`` shows the jail's own processes only.
The environment is cleared.

Two ways in, one result (an unprivileged process with no capabilities):

* ``userns`` (the harness is not root): bubblewrap creates a user namespace;
  further user namespaces are disabled.
* ``root`` (the harness is root): a user namespace would map the snippet to
  host uid 0, which ``RLIMIT_NPROC`` never limits. Instead bubblewrap keeps
  only CAP_SETUID/CAP_SETGID and the bootstrap switches to a fresh,
  otherwise unused uid before any snippet code runs; the seccomp filter
  refuses new namespaces.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import site
import sys
from dataclasses import dataclass, field
from pathlib import Path

from toolwise.tools.python_sandbox._limits import SandboxLimits

WORKDIR = "/sandbox"
SCRIPT = f"{WORKDIR}/main.py"
SHM_MIB = 16
# Fresh uids for root mode: far above any uid a distribution hands out, so each snippet has its own process count.
SANDBOX_UID_BASE = 0x60000000
SANDBOX_UID_SPAN = 1 << 24

_SYSTEM_LIBRARY_DIRS = ("/usr/lib", "/usr/lib64", "/usr/lib32")
_TOP_LEVEL_LINKS = ("/lib", "/lib64", "/lib32")  # no /bin: the jail has no programs besides Python
_LOADER_FILES = ("/etc/ld.so.cache",)
_BOOTSTRAP = Path(__file__).with_name("_bootstrap.py")


@dataclass(frozen=True)
class Interpreter:
    """The Python the snippet runs on and the host paths it needs, mounted read-only at the same place."""

    executable: str
    read_only_paths: tuple[str, ...]
    site_dirs: tuple[str, ...]

    @classmethod
    def current(cls) -> Interpreter:
        """The interpreter running the harness, with its site-packages (numpy, scipy, sympy...)."""
        executable = os.path.realpath(sys.executable)
        paths: list[str] = []
        base = os.path.realpath(sys.base_prefix)
        if base in ("/usr", "/"):
            paths.append(executable)  # the standard library is under /usr/lib, mounted anyway
        else:
            paths.append(base)
        prefix = os.path.realpath(sys.prefix)
        if prefix != base and executable.startswith(prefix + os.sep):
            paths.append(prefix)  # a venv made with --copies: the binary reads pyvenv.cfg beside it
        candidates = [*site.getsitepackages(), *(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))]
        site_dirs: list[str] = []
        for candidate in candidates:
            real = os.path.realpath(candidate)
            if os.path.isdir(real) and real not in site_dirs:
                site_dirs.append(real)
        paths.extend(site_dirs)
        return cls(executable=executable, read_only_paths=_without_nested(paths), site_dirs=tuple(site_dirs))


@dataclass
class JailCommand:
    """argv for bubblewrap plus what the caller must do to start it."""

    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    uid: int | None = None
    env: dict[str, str] = field(default_factory=dict)


def find_bwrap() -> str | None:
    """Path of the bubblewrap binary (``TOOLWISE_BWRAP`` overrides the PATH lookup)."""
    override = os.environ.get("TOOLWISE_BWRAP")
    if override:
        return override if os.access(override, os.X_OK) else None
    return shutil.which("bwrap")


def root_mode() -> bool:
    """Whether the harness runs as root (then the bootstrap drops to a fresh uid)."""
    return os.geteuid() == 0


def fresh_sandbox_uid() -> int:
    return SANDBOX_UID_BASE + secrets.randbelow(SANDBOX_UID_SPAN)


def build_command(
    bwrap: str,
    interpreter: Interpreter,
    limits: SandboxLimits,
    code_fd: int,
    seccomp_fd: int,
    as_root: bool,
    scratch: str | None = None,
) -> JailCommand:
    """The full bubblewrap invocation for one snippet whose source is readable on ``code_fd``.

    ``scratch`` is a host tmpfs (size and file limits, see ``_totals``) with ``work``, ``shm`` and ``tmp`` folders
    to bind as the writable places; without it bubblewrap makes its own size-limited tmpfs.
    """
    argv = [bwrap, "--die-with-parent", "--new-session", "--unshare-ipc", "--unshare-pid", "--unshare-net"]
    argv += ["--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    uid = None
    if as_root:
        uid = fresh_sandbox_uid()
        argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
    argv += ["--clearenv"]
    env = sandbox_environment()
    for key, value in env.items():
        argv += ["--setenv", key, value]
    argv += _filesystem(interpreter, limits, code_fd, scratch)
    argv += ["--chdir", WORKDIR, "--seccomp", str(seccomp_fd), "--"]
    config = {
        "uid": uid,
        "gid": uid,
        "rlimits": rlimits(limits),
        "site_dirs": list(interpreter.site_dirs),
        "workdir": WORKDIR,
        "script": SCRIPT,
    }
    argv += [interpreter.executable, "-s", "-S", "-B", "-c", _bootstrap_source(), json.dumps(config)]
    return JailCommand(argv=argv, pass_fds=(code_fd, seccomp_fd), uid=uid, env=env)


@functools.cache
def _bootstrap_source() -> str:
    return _BOOTSTRAP.read_text(encoding="utf-8")


def sandbox_environment() -> dict[str, str]:
    """The whole environment of the snippet: nothing of the host's, one thread per numeric library."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": WORKDIR,
        "TMPDIR": WORKDIR,
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": WORKDIR,
    }


def rlimits(limits: SandboxLimits) -> dict[str, tuple[int, int]]:
    """setrlimit values the bootstrap applies (soft, hard); the CPU hard limit is one second later (SIGKILL)."""
    memory = limits.memory_mib << 20
    scratch = limits.scratch_mib << 20
    return {
        "RLIMIT_AS": (memory, memory),
        "RLIMIT_CPU": (limits.cpu_seconds, limits.cpu_seconds + 1),
        "RLIMIT_NPROC": (limits.max_processes, limits.max_processes),
        "RLIMIT_NOFILE": (limits.max_open_files, limits.max_open_files),
        "RLIMIT_FSIZE": (scratch, scratch),
        "RLIMIT_CORE": (0, 0),
    }


def _filesystem(interpreter: Interpreter, limits: SandboxLimits, code_fd: int, scratch: str | None = None) -> list[str]:
    links = [p for p in (*_TOP_LEVEL_LINKS, *_SYSTEM_LIBRARY_DIRS) if os.path.islink(p)]  # /lib -> usr/lib
    # A distribution without merged /usr keeps libc in a real /lib, /lib64.
    mounts = [p for p in _TOP_LEVEL_LINKS if Path(p).name.startswith("lib") and _real_dir(p)]
    mounts += [p for p in _SYSTEM_LIBRARY_DIRS if _real_dir(p)]
    mounts += [p for p in _LOADER_FILES if os.path.exists(p)]
    mounts += list(interpreter.read_only_paths)
    mounts = list(_without_nested(mounts))
    args: list[str] = []
    # An interpreter under /tmp (a venv in a checkout there, as CI may have) needs /tmp as a directory to hold
    # its read-only bind, so /tmp becomes a private size-limited tmpfs of its own instead of a link to WORKDIR.
    python_under_tmp = any(p == "/tmp" or p.startswith("/tmp/") for p in [*mounts, *links])
    if python_under_tmp:
        args += _writable_place(scratch, "tmp", "/tmp", limits.scratch_mib)
    # Parents bubblewrap makes on its own are mode 0700 when it runs as root: the dropped uid could not pass.
    for parent in _ancestors([*mounts, *links]):
        if parent != "/tmp" or not python_under_tmp:
            args += ["--dir", parent]
    for path in mounts:
        args += ["--ro-bind", path, path]
    for path in links:
        args += ["--symlink", os.readlink(path), path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += _writable_place(scratch, "shm", "/dev/shm", SHM_MIB)
    args += _writable_place(scratch, "work", WORKDIR, limits.scratch_mib)
    args += ["--perms", "0444", "--file", str(code_fd), SCRIPT]
    if not python_under_tmp:
        args += ["--symlink", WORKDIR, "/tmp"]  # code that writes to /tmp lands in the private scratch
    return args


def _writable_place(scratch: str | None, folder: str, target: str, mib: int) -> list[str]:
    """A writable mount: a folder of the shared host scratch tmpfs, or bubblewrap's own size-limited tmpfs."""
    if scratch is not None:
        return ["--bind", f"{scratch}/{folder}", target]
    return ["--perms", "01777", "--size", str(mib << 20), "--tmpfs", target]


def _real_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


def _ancestors(paths: list[str]) -> list[str]:
    """Every proper ancestor directory of ``paths`` (except /), parents first."""
    found = {str(parent) for path in paths for parent in Path(path).parents if str(parent) != "/"}
    return sorted(found, key=lambda p: (p.count("/"), p))


def _without_nested(paths: list[str]) -> tuple[str, ...]:
    """Drop paths that sit inside another path of the list (one bind covers them), keeping order."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return tuple(p for p in dict.fromkeys(paths) if p in kept)
