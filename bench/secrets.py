"""API keys given on the command line never reach results, samples, logs or the cache.

lm-eval writes ``--model_args`` verbatim into the results JSON and logs it at start-up, so a key given
as ``api_key=...`` would be saved with every run. Inside the ``lm_eval`` process the toolwise hook takes
it out of ``sys.argv`` before lm-eval reads it and hands it to the API backends through the
``TOOLWISE_API_KEY`` environment variable of this process only.
"""

from __future__ import annotations

import os

KEY_ENV_VAR = "TOOLWISE_API_KEY"
SECRET_ARGS = ("api_key",)
_FLAG = "--model_args"


def _scrub(model_args: str) -> str:
    kept = []
    for part in model_args.split(","):
        name, sep, value = part.partition("=")
        if sep and name.strip() in SECRET_ARGS:
            os.environ[KEY_ENV_VAR] = value.strip()
            continue
        kept.append(part)
    return ",".join(kept)


def scrub_argv(argv: list[str]) -> None:
    """Remove ``api_key=...`` from every ``--model_args`` value of ``argv`` (in place), keeping the key aside."""
    for i, arg in enumerate(argv):
        if arg == _FLAG and i + 1 < len(argv):
            argv[i + 1] = _scrub(argv[i + 1])
        elif arg.startswith(_FLAG + "="):
            argv[i] = _FLAG + "=" + _scrub(arg[len(_FLAG) + 1 :])
