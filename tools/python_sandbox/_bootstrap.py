"""The first code that runs inside the sandbox, before the snippet.

The harness passes this file's source to ``python -S -c`` with one JSON
argument. It drops to the sandbox uid when it starts as root (no user
namespace in that mode), sets the resource limits, puts the host's
site-packages on ``sys.path`` (read-only mounts) and runs ``/sandbox/main.py``
as ``__main__``. Only the standard library is used: nothing else is importable
before ``sys.path`` is set.
"""

import builtins
import faulthandler
import json
import os
import resource
import sys

SETUP_FAILED = 125  # exit status that tells the harness the sandbox itself failed


def _fail(message: str) -> None:
    sys.stderr.write(f"sandbox setup failed: {message}\n")
    sys.stderr.flush()
    os._exit(SETUP_FAILED)


def _drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
        _fail("could not change to the sandbox uid")
    with open("/proc/self/status") as status:
        caps = dict(line.split(":", 1) for line in status if line.startswith("Cap"))
    if any(int(caps[k].strip(), 16) for k in ("CapPrm", "CapEff", "CapAmb")):
        _fail("capabilities survived the uid change")


def _set_limits(limits: dict) -> None:
    for name, (soft, hard) in limits.items():
        resource.setrlimit(getattr(resource, name), (soft, hard))


def _run(script: str) -> None:
    with open(script, encoding="utf-8") as fh:
        source = fh.read()
    sys.argv = [os.path.basename(script)]
    namespace = {"__name__": "__main__", "__file__": script, "__builtins__": builtins}
    try:
        code = compile(source, os.path.basename(script), "exec")
        exec(code, namespace)
    except SystemExit:
        raise
    except BaseException as exc:
        namespace.clear()  # free what the snippet held (a memory bomb) before formatting the error
        import traceback  # only on failure: it costs start-up time

        # Drop this file's frame: the model should see its own code only.
        tb = exc.__traceback__.tb_next if exc.__traceback__ is not None and not isinstance(exc, SyntaxError) else None
        traceback.print_exception(type(exc), exc, tb)
        sys.exit(1)


def main() -> None:
    config = json.loads(sys.argv[1])
    if config.get("uid") is not None:
        _drop_privileges(config["uid"], config["gid"])
    _set_limits(config["rlimits"])
    sys.path[:] = [config["workdir"], *[p for p in sys.path if p], *config["site_dirs"]]
    os.chdir(config["workdir"])
    faulthandler.enable()
    script = config["script"]
    del config
    _run(script)


if __name__ == "__main__":
    main()
