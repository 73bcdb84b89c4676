"""Limits on the whole snippet (issue 14, item 4): memory of every kind, processes and files are capped for all
its processes together, or the sandbox refuses to run unless the user opts out."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from toolwise.tools.python_sandbox import SandboxLimits, SandboxUnavailable, _runner, _seccomp, _totals, run_snippet

sys.path.insert(0, str(Path(__file__).parent))
from test_sandbox import _ALLOW, _ERRNO, bpf_run

# 512 MiB per process and in total (plus 64 MiB of files and 64 MiB of slack: 640 MiB for the whole snippet).
LIMITS = SandboxLimits(wall_seconds=20, cpu_seconds=15, memory_mib=512, max_processes=16, max_files=1000)


def run(code: str, limits: SandboxLimits = LIMITS):  # type: ignore[no-untyped-def]
    return run_snippet(textwrap.dedent(code), limits)


def test_memfds_are_refused(totals: None) -> None:
    result = run(
        """
        import os
        fds = []
        try:
            for _ in range(200):
                fd = os.memfd_create("x")
                os.write(fd, b"x" * (8 << 20))
                fds.append(fd)
        except OSError as exc:
            print("refused", exc.errno, len(fds))
        """
    )
    assert result.stdout.split() == ["refused", "1", "0"]  # EPERM before the first byte


def test_system_v_shared_memory_is_refused(totals: None) -> None:
    result = run(
        """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        print(libc.shmget(0, 1536 << 20, 0o1600), ctypes.get_errno())
        """
    )
    assert result.stdout.split() == ["-1", "1"]


def test_a_vsock_socket_is_refused(totals: None) -> None:
    result = run(
        """
        import socket
        try:
            socket.socket(40, socket.SOCK_STREAM)
            print("opened")
        except OSError as exc:
            print("refused", exc.errno)
        """
    )
    assert result.stdout.split() == ["refused", "1"]


def test_the_file_count_is_capped(totals: None) -> None:
    result = run(
        """
        n = 0
        try:
            while n < 200_000:
                open(f"f{n}", "w").close()
                n += 1
        except OSError as exc:
            print("stopped", exc.errno, n)
        """
    )
    stopped, errno, n = result.stdout.split()
    assert (stopped, errno) == ("stopped", "28") and int(n) < LIMITS.max_files  # ENOSPC


def test_memory_is_capped_for_all_processes_together(totals: None) -> None:
    # Eight children of 300 MiB each: each is under the 512 MiB address-space limit, together 2.4 GiB.
    result = run(
        """
        import os, time
        for _ in range(8):
            if os.fork() == 0:
                block = bytearray(300 << 20)
                for i in range(0, len(block), 4096):
                    block[i] = 1
                time.sleep(5)
                os._exit(0)
        codes = [os.waitpid(-1, 0)[1] for _ in range(8)]
        print("children done", codes)
        """
    )
    assert result.memory_exceeded and not result.ok


def test_files_count_against_the_memory_total_too(totals: None) -> None:
    # tmpfs pages are charged to the cgroup; the tmpfs size stops the writer first (ENOSPC), not the host.
    result = run(
        """
        try:
            with open("big", "wb") as f:
                for _ in range(200):
                    f.write(b"x" * (1 << 20))
        except OSError as exc:
            print("stopped", exc.errno)
        """
    )
    assert result.stdout.split()[:1] == ["stopped"]


def test_processes_are_capped_for_the_whole_jail(totals: None) -> None:
    result = run(
        """
        import threading, time
        started = 0
        try:
            for _ in range(100):
                threading.Thread(target=time.sleep, args=(3,), daemon=True).start()
                started += 1
        except RuntimeError:
            pass
        print(started)
        """
    )
    assert int(result.stdout) < LIMITS.max_processes


def test_a_machine_without_totals_refuses_unless_the_user_opts_out(
    sandbox_ready: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(limits: SandboxLimits) -> _totals.Enclosure:
        raise OSError("cgroup v2: /sys/fs/cgroup/user.slice does not delegate the memory and pids controllers")

    # Probe first, on the real enclosure: after a test that reset the probe (any order, under xdist) it would run
    # under the patch below and remember the failure, refusing the opted-out call too.
    _runner.ensure_available()
    monkeypatch.setattr(_totals.Enclosure, "open", unavailable)
    with pytest.raises(SandboxUnavailable, match=r"cannot cap the snippet's total.*TOOLWISE_SANDBOX_TOTALS=off"):
        run_snippet("print(1)", LIMITS)
    monkeypatch.setenv(_totals.OPT_OUT_ENV, "off")
    assert run_snippet("print(1)", LIMITS).stdout == "1\n"


def test_the_probe_reports_missing_totals(sandbox_ready: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_totals, "support", lambda: "the harness is not root")
    monkeypatch.delenv(_totals.OPT_OUT_ENV, raising=False)
    _runner.reset_probe()
    try:
        with pytest.raises(SandboxUnavailable, match="the harness is not root"):
            _runner.ensure_available()
    finally:
        _runner.reset_probe()


@pytest.mark.parametrize(("machine", "audit_arch"), [("x86_64", 0xC000003E), ("aarch64", 0xC00000B7)])
def test_seccomp_refuses_memfd_sysv_and_vsock(machine: str, audit_arch: int) -> None:
    program = _seccomp.build_filter(machine)
    denied = _seccomp.denied_syscalls(machine)
    for name in ("memfd_create", "memfd_secret", "shmget", "msgget", "semget"):
        assert bpf_run(program, denied[name], audit_arch) == _ERRNO | 1, name
    socket_nr = {"x86_64": 41, "aarch64": 198}[machine]
    assert bpf_run(program, socket_nr, audit_arch, arg0=_seccomp.AF_VSOCK) == _ERRNO | 1
    for family in (1, 2, 10):  # AF_UNIX, AF_INET, AF_INET6 (the network namespace is empty anyway)
        assert bpf_run(program, socket_nr, audit_arch, arg0=family) == _ALLOW


def test_memory_and_process_budgets_of_the_enclosure() -> None:
    assert _totals.memory_budget_bytes(LIMITS) == (512 + 64 + 64) << 20
    assert os.environ.get(_totals.OPT_OUT_ENV) in (None, "", "on") or _totals.opted_out()
