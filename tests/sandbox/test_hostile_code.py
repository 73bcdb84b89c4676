"""The hostile-code suite: each snippet attacks the host; the harness survives, the host is untouched,
and the model reads a clear tool error.

Every case goes through the registered tool (``get_tool("run_python").call``), as a model's call would,
with small budgets (conftest.FAST_LIMITS) so the suite stays fast.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from toolwise.tools import get_tool
from toolwise.tools.python_sandbox import _tool

pytestmark = pytest.mark.usefixtures("fast_tool")


def call(code: str) -> tuple[str | None, str | None, float]:
    """(value, error, seconds) of one run_python call."""
    start = time.monotonic()
    result = get_tool("run_python").call({"code": textwrap.dedent(code)})
    return result.value, result.error, time.monotonic() - start


def still_works() -> None:
    value, error, _ = call("print(2 + 2)")
    assert error is None and value == "4"


def test_infinite_loop_is_stopped_by_the_cpu_or_wall_limit(fast_tool, no_jail_left) -> None:  # type: ignore[no-untyped-def]
    value, error, seconds = call("while True:\n    pass")
    assert value is None
    # The CPU limit stops it; on a machine too busy to give it that much CPU, the wall clock does.
    assert f"used more than {fast_tool.cpu_seconds} s of CPU time" in error or "time limit" in error
    assert seconds < fast_tool.wall_seconds + 1
    no_jail_left()


def test_sleeping_forever_is_stopped_by_the_wall_clock(fast_tool, no_jail_left) -> None:  # type: ignore[no-untyped-def]
    value, error, seconds = call("import time\ntime.sleep(3600)")
    assert value is None and f"ran past the {fast_tool.wall_seconds:g} s time limit" in error
    assert fast_tool.wall_seconds <= seconds < fast_tool.wall_seconds + 1.5
    no_jail_left()
    still_works()


def test_fork_bomb_hits_the_process_limit_and_dies_with_the_jail(fast_tool, no_jail_left) -> None:  # type: ignore[no-untyped-def]
    # Count how far fork gets first: the kernel refuses beyond the process limit.
    value, error, _ = call(
        """
        import os, time
        children = 0
        try:
            while children < 1000:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                children += 1
        except OSError as exc:
            print("refused after", children, exc.errno)
        """
    )
    assert error is None
    words = value.split()
    assert words[:2] == ["refused", "after"] and int(words[2]) < fast_tool.max_processes and words[3] == "11"
    no_jail_left()
    # The classic bomb: every process forks forever.
    value, error, seconds = call(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    )
    assert value is None and ("time limit" in error or "CPU time" in error)
    assert seconds < fast_tool.wall_seconds + 1.5
    no_jail_left()
    still_works()


def test_memory_bomb_gets_a_memory_error(fast_tool, no_jail_left, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Only the memory limit may stop it: with the suite's 1 s of CPU, a loaded machine once hit the CPU limit first.
    monkeypatch.setattr(_tool, "TOOL_LIMITS", dataclasses.replace(fast_tool, cpu_seconds=30, wall_seconds=60))
    _tool.run_python.tool_spec.clear_cache()  # type: ignore[attr-defined]
    for code in ("x = bytearray(64 * 2**30)", "blocks = []\nwhile True:\n    blocks.append(bytearray(10**7))"):
        value, error, _ = call(code)
        assert value is None and f"ran out of memory (the limit is {fast_tool.memory_mib} MiB)" in error
        assert "MemoryError" in error
    no_jail_left()


def test_huge_output_is_cut_and_the_writer_stopped(fast_tool, no_jail_left) -> None:  # type: ignore[no-untyped-def]
    value, error, seconds = call("while True:\n    print('x' * 1000)")
    assert value is None and f"printed more than {fast_tool.max_output_bytes // 1024} KiB" in error
    assert len(error) < fast_tool.shown_output_chars + 300 and "characters omitted" in error
    assert seconds < fast_tool.wall_seconds  # the cap stopped it, not the clock
    # One big write that fits the cap is shortened for the model but the call succeeds.
    value, error, _ = call("print('y' * 200_000)\nprint('the end')")
    assert error is None and value.endswith("the end") and len(value) < fast_tool.shown_output_chars + 100
    no_jail_left()


def test_writes_outside_the_scratch_directory_fail_and_leave_the_host_untouched(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    name = f"toolwise-escape-{uuid.uuid4().hex}"
    targets = [tmp_path / name, repo / name, Path("/usr/lib") / name, Path("/etc") / name, Path("/root") / name]
    value, error, _ = call(
        f"""
        import os
        for path in {[str(t) for t in targets]!r}:
            try:
                with open(path, "w") as fh:
                    fh.write("escaped")
                print("WROTE", path)
            except OSError as exc:
                print("refused", type(exc).__name__)
        with open("/tmp/{name}", "w") as fh:  # /tmp is private scratch (WORKDIR, or its own tmpfs)
            fh.write("inside")
        print(sorted(os.listdir("/tmp")))
        """
    )
    assert error is None and "WROTE" not in value
    assert value.count("refused") == len(targets)
    assert name in value  # the scratch write worked, inside the jail
    for target in [*targets, Path("/tmp") / name]:
        assert not target.exists()


def test_secrets_of_the_host_are_not_readable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"sk-toolwise-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("ANTHROPIC_API_KEY", secret)
    secret_file = tmp_path / "credentials"
    secret_file.write_text(secret)
    value, error, _ = call(
        f"""
        import os, glob
        print(dict(os.environ))
        for path in ["~/.ssh/id_rsa", "/root/.ssh/id_rsa", "/etc/shadow", "/etc/passwd", {str(secret_file)!r},
                     "/proc/1/environ", "/proc/self/environ", *glob.glob("/proc/*/environ")]:
            try:
                print(path, open(os.path.expanduser(path), "rb").read()[:200])
            except OSError as exc:
                print(path, "refused", type(exc).__name__)
        print("home", os.listdir(os.path.expanduser("~")))
        """
    )
    assert error is None
    assert secret not in value
    assert "OPENAI_API_KEY" not in value and "ANTHROPIC_API_KEY" not in value
    for path in ("/root/.ssh/id_rsa", "/etc/shadow", str(secret_file)):
        assert f"{path} refused" in value


def test_no_network_not_even_the_hosts_loopback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        port = server.getsockname()[1]
        value, error, _ = call(
            f"""
            import socket
            for host, port in [("127.0.0.1", {port}), ("1.1.1.1", 53), ("pypi.org", 443)]:
                try:
                    socket.create_connection((host, port), timeout=1).close()
                    print("CONNECTED", host)
                except OSError as exc:
                    print("refused", host, type(exc).__name__)
            """
        )
        with pytest.raises(TimeoutError):
            server.accept()  # nothing reached the host's listener
    assert error is None and "CONNECTED" not in value and value.count("refused") == 3


def test_no_shell_to_spawn() -> None:
    value, error, _ = call("import subprocess\nsubprocess.run(['/bin/sh', '-c', 'id'])")
    assert value is None and "raised an exception" in error and "FileNotFoundError" in error
    value, error, _ = call("import os\nprint(os.system('cat /etc/shadow'), os.path.exists('/usr/bin/bash'))")
    assert error is None and value == "32512 False"  # status 127: no shell in the jail


def test_killing_the_parent_or_everything_reaches_only_the_jail(no_jail_left) -> None:  # type: ignore[no-untyped-def]
    harness = os.getpid()
    value, error, _ = call(
        f"""
        import os, signal
        for target in [{harness}, os.getppid(), 1, -1]:
            try:
                os.kill(target, signal.SIGKILL)
                print("sent", target)
            except OSError as exc:
                print("refused", target, type(exc).__name__)
        """
    )
    assert error is None and f"refused {harness}" in value
    assert os.getpid() == harness  # we are still here
    no_jail_left()
    still_works()


def test_a_background_process_does_not_outlive_the_call(fast_tool, no_jail_left) -> None:  # type: ignore[no-untyped-def]
    marker = f"toolwise-daemon-{uuid.uuid4().hex}"
    value, error, seconds = call(
        f"""
        import subprocess, sys, os
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "{marker}"], start_new_session=True)
        if os.fork() == 0:  # and a classic double-forked daemon
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", "{marker}"])
            os._exit(0)
        print("left them running")
        """
    )
    assert error is None and value == "left them running" and seconds < fast_tool.wall_seconds  # no wait for them
    no_jail_left(marker)
    no_jail_left()


def test_deep_recursion_is_an_error_not_a_crash_of_the_harness(fast_tool) -> None:  # type: ignore[no-untyped-def]
    value, error, _ = call("def f(n):\n    return f(n + 1)\nf(0)")
    assert value is None and "RecursionError" in error
    value, error, seconds = call("import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1)\nf(0)")
    assert value is None and error.startswith("the script ")
    assert seconds < fast_tool.wall_seconds + 1.5
    still_works()


def test_segfault_via_ctypes_is_reported_as_a_crash() -> None:
    value, error, _ = call("import ctypes\nctypes.string_at(0)")
    assert value is None and "crashed with signal SIGSEGV" in error
    assert 'File "main.py", line 2' in error  # faulthandler points at the line
    still_works()


def test_kernel_interfaces_a_snippet_never_needs_are_refused() -> None:
    value, error, _ = call(
        """
        import ctypes, errno
        libc = ctypes.CDLL(None, use_errno=True)
        checks = {
            "ptrace": lambda: libc.ptrace(16, 1, 0, 0),            # PTRACE_ATTACH to pid 1
            "unshare": lambda: libc.unshare(0x10000000),           # CLONE_NEWUSER
            "mount": lambda: libc.mount(b"none", b"/sandbox", b"tmpfs", 0, None),
        }
        for name, attempt in checks.items():
            rc = attempt()
            print(name, rc, errno.errorcode.get(ctypes.get_errno()))
        """
    )
    assert error is None
    lines = dict(line.split(" ", 1) for line in value.splitlines())
    for name in ("ptrace", "unshare", "mount"):
        assert lines[name] == "-1 EPERM", value
