"""Run one snippet in the jail: start it, collect its output under a cap, stop it on time.

``run_snippet`` never lets a snippet outlive the call: on the wall-clock
limit or the output cap the bubblewrap process is killed, and with it the
jail's PID namespace (every process the snippet started).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

from toolwise.tools.python_sandbox import _jail, _seccomp, _totals
from toolwise.tools.python_sandbox._limits import DEFAULT_LIMITS, SandboxLimits

_SETUP_FAILED = 125  # the bootstrap's exit status when the jail could not be set up
_READ_CHUNK = 1 << 16


class SandboxUnavailable(RuntimeError):
    """The machine lacks an isolation primitive; snippets are refused rather than run unconfined."""


@dataclass(frozen=True)
class SnippetRun:
    """What happened to one snippet."""

    stdout: str
    stderr: str
    exit_code: int | None
    signal: int | None
    timed_out: bool
    output_exceeded: bool
    seconds: float
    memory_exceeded: bool = False  # the kernel killed a process for the snippet's memory total (cgroup)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not (self.timed_out or self.output_exceeded or self.memory_exceeded)


def run_snippet(code: str, limits: SandboxLimits = DEFAULT_LIMITS) -> SnippetRun:
    """Run ``code`` as a Python script in a fresh jail and report its output and fate.

    Raises SandboxUnavailable when the jail cannot be built on this machine.
    """
    ensure_available()
    return _run_in_jail(code, limits)


def _run_in_jail(
    code: str,
    limits: SandboxLimits,
    interpreter: _jail.Interpreter | None = None,
    host_uid: int | None = None,
) -> SnippetRun:
    """One jail run. ``host_uid`` (root only) starts bubblewrap as that uid: user-namespace mode from a root harness."""
    bwrap = _jail.find_bwrap()
    if bwrap is None:
        raise SandboxUnavailable(_MISSING_BWRAP)
    enclosure = _open_enclosure(limits)
    try:
        return _run_enclosed(code, limits, bwrap, enclosure, interpreter, host_uid)
    finally:
        if enclosure is not None:
            enclosure.close()


def _open_enclosure(limits: SandboxLimits) -> _totals.Enclosure | None:
    """The snippet's cgroups and scratch mount; None only when the user opted out of totals."""
    if _totals.opted_out():
        return None
    try:
        return _totals.Enclosure.open(limits)
    except OSError as exc:
        raise SandboxUnavailable(_totals_message(str(exc))) from None


def _totals_message(reason: str) -> str:
    return (
        f"the sandbox cannot cap the snippet's total memory, processes and files here: {reason}. Run the harness "
        f"as root (cgroups and a scratch tmpfs), or set {_totals.OPT_OUT_ENV}=off to run with per-process limits "
        "only (docs/sandbox.md says what that leaves open)"
    )


def _run_enclosed(
    code: str,
    limits: SandboxLimits,
    bwrap: str,
    enclosure: _totals.Enclosure | None,
    interpreter: _jail.Interpreter | None,
    host_uid: int | None,
) -> SnippetRun:
    code_fd = _memfd("snippet", code.encode("utf-8"))
    seccomp_fd = _memfd("seccomp", _seccomp.build_filter())
    try:
        command = _jail.build_command(
            bwrap,
            interpreter or _jail.Interpreter.current(),
            limits,
            code_fd=code_fd,
            seccomp_fd=seccomp_fd,
            as_root=_jail.root_mode() and host_uid is None,
            scratch=str(enclosure.scratch) if enclosure is not None and enclosure.scratch else None,
        )
        argv = command.argv
        if enclosure is not None:
            if host_uid is not None:
                enclosure.allow(host_uid)
            argv = enclosure.wrap(argv)  # enters the cgroups, then execs bubblewrap: nothing starts outside them
        start = time.monotonic()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=command.pass_fds,
            start_new_session=True,
            env={},
            **({"user": host_uid, "group": host_uid, "extra_groups": []} if host_uid is not None else {}),
        )
    finally:
        os.close(code_fd)
        os.close(seccomp_fd)
    out, err, timed_out, exceeded = _collect(proc, start + limits.wall_seconds, limits.max_output_bytes)
    status = proc.returncode
    seconds = time.monotonic() - start
    memory_exceeded = enclosure is not None and enclosure.memory_exceeded()
    exit_code, sig = _decode_status(status, killed=timed_out or exceeded)
    if exit_code == _SETUP_FAILED and b"sandbox setup failed" in err:
        raise SandboxUnavailable(err.decode("utf-8", "replace").strip())
    return SnippetRun(
        stdout=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
        exit_code=exit_code,
        signal=sig,
        timed_out=timed_out,
        output_exceeded=exceeded,
        seconds=seconds,
        memory_exceeded=memory_exceeded,
    )


def _collect(proc: subprocess.Popen[bytes], deadline: float, max_bytes: int) -> tuple[bytes, bytes, bool, bool]:
    """Read both pipes until EOF, the deadline or the byte cap; the process has exited on return."""
    assert proc.stdout is not None and proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    buffers = {out_fd: bytearray(), err_fd: bytearray()}
    total = 0
    timed_out = exceeded = False
    with selectors.DefaultSelector() as selector:
        for fd in buffers:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map() and not (timed_out or exceeded):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _ in selector.select(remaining):
                chunk = os.read(key.fd, _READ_CHUNK)
                if not chunk:
                    selector.unregister(key.fd)
                    continue
                buffers[key.fd] += chunk[: max(0, max_bytes - total)]
                total += len(chunk)
                if total > max_bytes:
                    exceeded = True
                    break
    if not (timed_out or exceeded):
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True  # closed its output but kept running
    if timed_out or exceeded:
        _kill(proc)
    proc.stdout.close()
    proc.stderr.close()
    return bytes(buffers[out_fd]), bytes(buffers[err_fd]), timed_out, exceeded


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL bubblewrap's process group; --die-with-parent and the PID namespace take the jail down with it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _decode_status(status: int | None, killed: bool) -> tuple[int | None, int | None]:
    """bubblewrap exits with the snippet's status, or 128 + N when signal N ended it."""
    if killed or status is None:
        return None, signal.SIGKILL if killed else None
    if status < 0:
        return None, -status
    if status > 128 and status - 128 in signal.valid_signals():
        return None, status - 128
    return status, None


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, 0)  # no CLOEXEC: the fd is handed to bubblewrap through pass_fds
    try:
        _write_all(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


_MISSING_BWRAP = (
    "bubblewrap (bwrap) is not installed; the Python sandbox needs it "
    "(Debian/Ubuntu: apt-get install bubblewrap), or set TOOLWISE_BWRAP to its path"
)

_probe_lock = threading.Lock()
_probe_result: str | None = None  # "" when the jail works, else why not
_PROBE_CODE = "print(6 * 7)"


def ensure_available() -> None:
    """Check once per process that a jail can be built and run; raise SandboxUnavailable saying why not."""
    global _probe_result
    with _probe_lock:
        if _probe_result is None:
            _probe_result = _probe()
    if _probe_result:
        raise SandboxUnavailable(_probe_result)


def _probe() -> str:
    if _jail.find_bwrap() is None:
        return _MISSING_BWRAP
    if not _seccomp.supported_arch():
        return "the sandbox's seccomp filter has no syscall table for this CPU architecture"
    if not _totals.opted_out() and (reason := _totals.support()):
        return _totals_message(reason)
    try:
        run = _run_in_jail(_PROBE_CODE, SandboxLimits(wall_seconds=20, cpu_seconds=10))
    except SandboxUnavailable as exc:
        return str(exc)
    except OSError as exc:
        return f"could not start bubblewrap: {exc}"
    if run.ok and run.stdout.strip() == "42":
        return ""
    detail = (run.stderr or run.stdout).strip()[-500:]
    hint = (
        " (unprivileged user namespaces may be disabled: check sysctl kernel.unprivileged_userns_clone, "
        "user.max_user_namespaces and, on Ubuntu 24.04+, kernel.apparmor_restrict_unprivileged_userns)"
    )
    return f"bubblewrap could not build the jail: {detail or f'exit status {run.exit_code}'}" + (
        hint if "namespace" in detail or "uid map" in detail or "Permission denied" in detail else ""
    )


def reset_probe() -> None:
    """Forget the availability check (tests that change the environment)."""
    global _probe_result
    with _probe_lock:
        _probe_result = None
