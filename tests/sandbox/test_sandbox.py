"""What a snippet can do in the sandbox, how the tool reports it, and the seccomp filter's logic."""

from __future__ import annotations

import math
import os
import struct
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from toolwise.tools import get_tool
from toolwise.tools.python_sandbox import SandboxLimits, SandboxUnavailable, _jail, _runner, _seccomp, run_snippet
from toolwise.tools.python_sandbox._tool import shorten


def run_tool(code: str) -> tuple[str | None, str | None]:
    result = get_tool("run_python").call({"code": textwrap.dedent(code)})
    return result.value, result.error


@pytest.mark.usefixtures("stack_tool")
class TestScientificStack:
    def test_numpy_scipy_and_sympy_give_known_results(self) -> None:
        value, error = run_tool(
            """
            import numpy as np, scipy.integrate, sympy as sp
            x = sp.symbols("x")
            print(sp.integrate(sp.sin(x) ** 2, (x, 0, sp.pi)))
            print(scipy.integrate.quad(lambda t: np.exp(-t * t), -np.inf, np.inf)[0])
            print(np.linalg.eigvalsh([[2.0, 1.0], [1.0, 2.0]]).tolist())
            """
        )
        assert error is None
        symbolic, gaussian, eigen = value.splitlines()
        assert symbolic == "pi/2"
        assert math.isclose(float(gaussian), math.sqrt(math.pi), rel_tol=1e-9)
        assert [round(v, 9) for v in eval(eigen)] == [1.0, 3.0]

    def test_each_call_is_a_fresh_interpreter_with_a_fresh_scratch(self) -> None:
        value, error = run_tool("open('notes.txt', 'w').write('x')\nimport os\nprint(os.listdir('.'))")
        assert error is None and "notes.txt" in value
        value, error = run_tool("import os\nprint(sorted(os.listdir('.')), 'notes' in globals())")
        assert error is None and value == "['main.py'] False"

    def test_same_code_same_output_across_calls(self) -> None:
        code = "print(hash('toolwise'), sorted({'b', 'a', 'c'}), list({'x': 1, 'y': 2}))"
        first, _ = run_tool(code)
        get_tool("run_python").clear_cache()
        second, _ = run_tool(code)
        assert first == second

    def test_stderr_is_shown_after_stdout(self) -> None:
        value, error = run_tool("import sys, warnings\nprint('result 3')\nwarnings.warn('careful')")
        assert error is None
        out, err = value.split("[stderr]\n")
        assert out.strip() == "result 3" and "UserWarning: careful" in err

    def test_exit_status_and_syntax_errors_are_tool_errors(self) -> None:
        value, error = run_tool("import sys\nprint('partial')\nsys.exit(3)")
        assert value is None and error.startswith("the script failed with exit status 3.") and "partial" in error
        value, error = run_tool("print('ok'")
        assert value is None and "raised an exception" in error and "SyntaxError" in error
        value, error = run_tool("raise SystemExit(0)")
        assert error is None

    def test_silence_is_pointed_out(self) -> None:
        value, error = run_tool("x = 6 * 7")
        assert error is None and "printed nothing" in value

    def test_concurrent_calls_do_not_mix(self, stack_tool: SandboxLimits) -> None:
        with ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(lambda i: run_snippet(f"print({i} ** 2)", stack_tool), range(8)))
        assert [r.stdout.strip() for r in runs] == [str(i * i) for i in range(8)]


def test_shorten_keeps_both_ends() -> None:
    text = "".join(f"{i:05d}" for i in range(2000))
    short = shorten(text, 1000)
    assert short.startswith(text[:250]) and short.endswith(text[-750:]) and "characters omitted" in short
    assert shorten("short", 1000) == "short"


def test_a_missing_bubblewrap_refuses_to_run_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_probe: None
) -> None:
    monkeypatch.setenv("TOOLWISE_BWRAP", str(tmp_path / "no-bwrap"))
    flag = tmp_path / "ran"
    get_tool("run_python").clear_cache()
    value, error = run_tool(f"open({str(flag)!r}, 'w').write('unconfined')")
    assert value is None
    assert "sandbox is unavailable" in error and "bubblewrap" in error and "apt-get install bubblewrap" in error
    assert not flag.exists()
    with pytest.raises(SandboxUnavailable):
        run_snippet("print(1)")


def test_the_interpreter_brings_its_site_packages() -> None:
    import numpy

    interpreter = _jail.Interpreter.current()
    assert os.path.isfile(interpreter.executable)
    numpy_home = os.path.realpath(Path(numpy.__file__).parents[1])
    assert numpy_home in interpreter.site_dirs
    assert any(numpy_home.startswith(p) for p in interpreter.read_only_paths)


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/usr/bin/python3"), reason="needs root and python3")
def test_user_namespace_mode_as_an_unprivileged_harness_would_run_it(sandbox_ready: None) -> None:
    """From root, start bubblewrap as an ordinary uid: the path a non-root harness (e.g. CI) takes."""
    exe = os.path.realpath("/usr/bin/python3")
    interpreter = _jail.Interpreter(executable=exe, read_only_paths=(exe,), site_dirs=())
    limits = SandboxLimits(wall_seconds=4, cpu_seconds=2, max_processes=8)
    code = textwrap.dedent(
        """
        import os, time, ctypes
        status = open("/proc/self/status").read()
        print(os.getuid(), status.split("CapEff:")[1].split()[0])
        children = 0
        try:
            while children < 100:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                children += 1
        except OSError:
            pass
        print(children, ctypes.CDLL(None).unshare(0x10000000))
        """
    )
    run = _runner._run_in_jail(code, limits, interpreter, host_uid=54321)
    assert run.ok, run.stderr
    (uid, caps), (children, unshare) = (line.split() for line in run.stdout.splitlines())
    assert uid == "54321" and int(caps, 16) == 0
    assert int(children) < limits.max_processes and unshare == "-1"


# --- the seccomp program, run on a tiny classic-BPF interpreter --------------------------------------------

_ERRNO, _ALLOW, _KILL = 0x00050000, 0x7FFF0000, 0x80000000


def bpf_run(program: bytes, nr: int, arch: int, arg0: int = 0) -> int:
    """Evaluate the filter on one seccomp_data (only the opcodes the filter uses)."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, arg0, 0, 0, 0, 0, 0)
    insns = [struct.unpack_from("=HBBI", program, i) for i in range(0, len(program), 8)]
    acc, pc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        if code == 0x20:
            acc = struct.unpack_from("=I", data, k)[0]
            pc += 1
        elif code in (0x15, 0x35, 0x45):
            taken = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[code]
            pc += 1 + (jt if taken else jf)
        elif code == 0x06:
            return k
        else:
            raise AssertionError(f"unexpected opcode {code:#x}")


@pytest.mark.parametrize("machine,audit_arch", [("x86_64", 0xC000003E), ("aarch64", 0xC00000B7)])
def test_seccomp_filter_decisions(machine: str, audit_arch: int) -> None:
    program = _seccomp.build_filter(machine)
    denied = _seccomp.denied_syscalls(machine)
    numbers = {"x86_64": {"read": 0, "clone": 56, "clone3": 435}, "aarch64": {"read": 63, "clone": 220, "clone3": 435}}
    own = numbers[machine]
    assert bpf_run(program, own["read"], audit_arch) == _ALLOW
    for name in ("ptrace", "unshare", "mount", "bpf", "setns", "keyctl", "io_uring_setup"):
        assert bpf_run(program, denied[name], audit_arch) == _ERRNO | 1, name  # EPERM
    assert bpf_run(program, own["clone3"], audit_arch) == _ERRNO | 38  # ENOSYS: libc falls back to clone
    assert bpf_run(program, own["clone"], audit_arch, arg0=0x01200011) == _ALLOW  # fork()'s flags
    assert bpf_run(program, own["clone"], audit_arch, arg0=0x003D0F00) == _ALLOW  # pthread_create's flags
    assert bpf_run(program, own["clone"], audit_arch, arg0=0x10000000) == _ERRNO | 1  # CLONE_NEWUSER
    assert bpf_run(program, own["read"], 0x40000003) == _KILL  # another architecture (i386)
    if machine == "x86_64":
        assert bpf_run(program, 0x40000000 | 101, audit_arch) == _KILL  # x32 ABI


def test_seccomp_refuses_unknown_architectures() -> None:
    assert not _seccomp.supported_arch("riscv64")
    with pytest.raises(ValueError, match="riscv64"):
        _seccomp.build_filter("riscv64")
