"""A seccomp-bpf filter that closes the kernel interfaces a Python snippet never needs.

bubblewrap loads it (``--seccomp FD``) just before it starts the interpreter.
It is a deny list on top of the namespaces: it refuses new namespaces (so a
snippet cannot become root of a user namespace of its own), ptrace and
cross-process memory access, mounts, kernel modules, BPF, perf events,
io_uring, keyrings, userfaultfd and clock/host changes. Denied calls fail with
EPERM; ``clone3`` fails with ENOSYS so that libc falls back to ``clone``, whose
flags the filter can read. A snippet running for another architecture (x32 on
x86-64) is killed.

Syscall numbers come from the kernel's uapi headers (``asm/unistd_64.h`` for
x86-64, ``asm-generic/unistd.h`` for aarch64).
"""

from __future__ import annotations

import errno
import platform
import struct

# struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}, in native byte order.
_INSN = struct.Struct("=HBBI")

_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K

_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000

# offsets in struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]}; args[0] low half (little endian)
_OFF_NR, _OFF_ARCH, _OFF_ARG0_LO = 0, 4, 16

# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
_CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x80

_X32_SYSCALL_BIT = 0x40000000

_DENIED_NAMES = (
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount",
    "fspick", "mount_setattr", "unshare", "setns",
    "swapon", "swapoff", "reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "acct", "quotactl", "syslog", "vhangup", "lookup_dcookie",
    "bpf", "perf_event_open", "userfaultfd", "fanotify_init", "keyctl", "add_key", "request_key",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
    "open_by_handle_at", "name_to_handle_at",
    "ioperm", "iopl", "modify_ldt", "uselib",
    # Memory outside the address-space limit: memfds and System V segments live on after munmap.
    "memfd_create", "memfd_secret", "shmget", "msgget", "semget",
)  # fmt: skip
# socket(AF_VSOCK, ...): the host's virtual-machine sockets are not behind the network namespace.
AF_VSOCK = 40

_ARCHES: dict[str, dict[str, object]] = {
    "x86_64": {
        "audit_arch": 0xC000003E,
        "x32_bit": True,
        "numbers": {
            "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438,
            "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "open_tree": 428, "move_mount": 429,
            "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
            "unshare": 272, "setns": 308, "swapon": 167, "swapoff": 168, "reboot": 169, "kexec_load": 246,
            "kexec_file_load": 320, "init_module": 175, "finit_module": 313, "delete_module": 176, "acct": 163,
            "quotactl": 179, "syslog": 103, "vhangup": 153, "lookup_dcookie": 212, "bpf": 321,
            "perf_event_open": 298, "userfaultfd": 323, "fanotify_init": 300, "keyctl": 250, "add_key": 248,
            "request_key": 249, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
            "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159,
            "sethostname": 170, "setdomainname": 171, "open_by_handle_at": 304, "name_to_handle_at": 303,
            "ioperm": 173, "iopl": 172, "modify_ldt": 154, "uselib": 134,
            "memfd_create": 319, "memfd_secret": 447, "shmget": 29, "msgget": 68, "semget": 64,
            "clone": 56, "clone3": 435, "socket": 41,
        },
    },
    "aarch64": {
        "audit_arch": 0xC00000B7,
        "x32_bit": False,
        "numbers": {
            "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_getfd": 438,
            "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "open_tree": 428, "move_mount": 429,
            "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
            "unshare": 97, "setns": 268, "swapon": 224, "swapoff": 225, "reboot": 142, "kexec_load": 104,
            "kexec_file_load": 294, "init_module": 105, "finit_module": 273, "delete_module": 106, "acct": 89,
            "quotactl": 60, "syslog": 116, "vhangup": 58, "lookup_dcookie": 18, "bpf": 280,
            "perf_event_open": 241, "userfaultfd": 282, "fanotify_init": 262, "keyctl": 219, "add_key": 217,
            "request_key": 218, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
            "settimeofday": 170, "clock_settime": 112, "clock_adjtime": 266, "adjtimex": 171,
            "sethostname": 161, "setdomainname": 162, "open_by_handle_at": 265, "name_to_handle_at": 264,
            "memfd_create": 279, "memfd_secret": 447, "shmget": 194, "msgget": 186, "semget": 190,
            "clone": 220, "clone3": 435, "socket": 198,
        },  # aarch64 has no ioperm, iopl, modify_ldt or uselib
    },
}  # fmt: skip


def supported_arch(machine: str | None = None) -> bool:
    """Whether a filter can be built for this machine (x86-64 and aarch64)."""
    return _normalise(machine or platform.machine()) in _ARCHES


def denied_syscalls(machine: str | None = None) -> dict[str, int]:
    """The syscalls refused with EPERM on ``machine``, by name."""
    numbers = _arch(machine)["numbers"]
    assert isinstance(numbers, dict)
    return {name: numbers[name] for name in _DENIED_NAMES if name in numbers}


def build_filter(machine: str | None = None) -> bytes:
    """The filter program as the raw ``struct sock_filter`` array bwrap reads from a file descriptor."""
    arch = _arch(machine)
    numbers = arch["numbers"]
    assert isinstance(numbers, dict)
    deny_eperm = _RET_ERRNO | errno.EPERM
    deny_enosys = _RET_ERRNO | errno.ENOSYS

    # Assembled back to front would need no labels; front to back with named targets reads better.
    program: list[tuple[int, int | str, int | str, int]] = []
    labels: dict[str, int] = {}

    def emit(code: int, k: int, jt: int | str = 0, jf: int | str = 0) -> None:
        program.append((code, jt, jf, k))

    def label(name: str) -> None:
        labels[name] = len(program)

    emit(_LD_W_ABS, _OFF_ARCH)
    emit(_JEQ_K, int(arch["audit_arch"]), jt="arch_ok", jf="kill")  # type: ignore[call-overload]
    label("arch_ok")
    emit(_LD_W_ABS, _OFF_NR)
    if arch["x32_bit"]:
        emit(_JGE_K, _X32_SYSCALL_BIT, jt="kill", jf=0)
    for name in _DENIED_NAMES:
        if name in numbers:
            emit(_JEQ_K, numbers[name], jt="eperm", jf=0)
    emit(_JEQ_K, numbers["clone3"], jt="enosys", jf=0)
    emit(_JEQ_K, numbers["socket"], jt="socket", jf=0)
    emit(_JEQ_K, numbers["clone"], jt="clone", jf="allow")
    label("socket")
    emit(_LD_W_ABS, _OFF_ARG0_LO)
    emit(_JEQ_K, AF_VSOCK, jt="eperm", jf="allow")
    label("clone")
    emit(_LD_W_ABS, _OFF_ARG0_LO)
    emit(_JSET_K, _CLONE_NAMESPACE_FLAGS, jt="eperm", jf="allow")
    label("allow")
    emit(_RET_K, _RET_ALLOW)
    label("eperm")
    emit(_RET_K, deny_eperm)
    label("enosys")
    emit(_RET_K, deny_enosys)
    label("kill")
    emit(_RET_K, _RET_KILL_PROCESS)

    out = bytearray()
    for index, (code, jt, jf, k) in enumerate(program):
        out += _INSN.pack(code, _offset(jt, index, labels), _offset(jf, index, labels), k)
    return bytes(out)


def _offset(target: int | str, index: int, labels: dict[str, int]) -> int:
    """A jump is relative to the next instruction and must fit in one byte."""
    if isinstance(target, int):
        return target
    delta = labels[target] - index - 1
    if not 0 <= delta <= 255:
        raise ValueError(f"seccomp jump to {target} out of range ({delta})")
    return delta


def _normalise(machine: str) -> str:
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine.lower(), machine.lower())


def _arch(machine: str | None) -> dict[str, object]:
    name = _normalise(machine or platform.machine())
    if name not in _ARCHES:
        raise ValueError(f"no seccomp filter for architecture {name!r} (supported: {', '.join(_ARCHES)})")
    return _ARCHES[name]
