"""The resource budget of one sandboxed snippet."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxLimits:
    """What one snippet may use; every limit is enforced by the kernel, not by Python.

    ``wall_seconds`` is enforced by the harness (the whole sandbox is killed);
    ``cpu_seconds``, ``memory_mib`` (address space per process), ``max_processes``
    (processes and threads) and ``max_open_files`` are setrlimit limits;
    ``scratch_mib`` is the size of the private tmpfs that is the only writable
    place, ``max_files`` the number of files and folders it can hold. Memory and
    processes are also capped for all the snippet's processes together (a cgroup:
    ``memory_mib + scratch_mib`` + 64 MiB of slack, ``max_processes`` + 2; see
    ``_totals``). Output beyond ``max_output_bytes`` stops the snippet; the model reads
    at most ``shown_output_chars`` of it.
    """

    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    memory_mib: int = 1024
    max_processes: int = 16
    max_open_files: int = 256
    scratch_mib: int = 64
    max_files: int = 4096
    max_output_bytes: int = 1 << 20
    shown_output_chars: int = 8000

    def __post_init__(self) -> None:
        for name in (
            "wall_seconds",
            "cpu_seconds",
            "memory_mib",
            "max_processes",
            "max_open_files",
            "scratch_mib",
            "max_files",
            "max_output_bytes",
            "shown_output_chars",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"SandboxLimits.{name} must be positive, got {getattr(self, name)!r}")


DEFAULT_LIMITS = SandboxLimits()
