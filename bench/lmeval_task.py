"""The one lm-eval task class every toolwise task uses, and its data loader.

Each problem becomes two requests with the same prompt: ``no_tool`` (idx 0)
and ``choice`` (idx 1). The mode travels in the request's ``gen_kwargs`` under
the key ``toolwise`` (the toolwise model strips it), so ``--use_cache`` keys
the two apart, and a hash of the offered tool schemas invalidates cached
answers when a tool changes.
"""

from __future__ import annotations

import hashlib
import json
from copy import deepcopy
from functools import cache
from typing import Any

import datasets
from lm_eval.api.instance import Instance
from lm_eval.api.task import ConfigurableTask

from toolwise.bench import scoring
from toolwise.bench.loop import import_tool_modules
from toolwise.bench.problem import Problem, iter_docs, read_jsonl
from toolwise.bench.task_index import TEMPLATE_YAML, find_domain, resolve_data_file
from toolwise.tools import registered_tools

REQUEST_MODES = ("no_tool", "choice")
# Reliability metrics every toolwise task reports, added here so that no task YAML can forget them.
RELIABILITY_METRICS = (
    {"metric": "n_failed", "aggregation": scoring.total, "higher_is_better": False},
    {"metric": "tool_errors", "aggregation": scoring.total, "higher_is_better": False},
    {"metric": "tool_error_rate", "aggregation": scoring.error_rate, "higher_is_better": False},
)


def load_problems(
    package: str | None = None, file: str | None = None, data_file: str | None = None, **_: Any
) -> datasets.DatasetDict:
    """``custom_dataset`` hook: the test split from a jsonl shipped in ``package`` (or ``data_file``).

    lm-eval passes every ``--metadata`` and ``--model_args`` key here too,
    hence the catch-all; ``--metadata '{"data_file": "my.jsonl"}'`` points a
    task at another file of the same format.
    """
    path = resolve_data_file({"package": package, "file": file, "data_file": data_file})
    if path is None:
        raise ValueError("toolwise task needs dataset_kwargs {package, file} or metadata data_file")
    if not path.exists():
        raise FileNotFoundError(f"toolwise task data not found: {path}")
    return problems_to_dataset(read_jsonl(path))


def problems_to_dataset(problems: list[Problem], split: str = "test") -> datasets.DatasetDict:
    """Problems as the in-memory DatasetDict lm-eval expects (no HF cache written)."""
    return datasets.DatasetDict({split: datasets.Dataset.from_list(list(iter_docs(problems)))})


def tools_fingerprint(tool_modules: list[str]) -> str:
    """A short hash of the schemas the task's modules register: cached answers go stale when tools change."""
    import_tool_modules(tool_modules)
    prefixes = tuple(tool_modules)
    schemas = sorted(
        (spec.name, spec.parameters, spec.description)
        for spec in registered_tools().values()
        if spec.fn.__module__.startswith(prefixes)
    )
    return hashlib.sha256(json.dumps(schemas, sort_keys=True, default=str).encode()).hexdigest()[:16]


@cache
def _template_defaults() -> dict[str, Any]:
    """The shared template's keys, ``!function`` tags resolved (what a YAML that includes it gets)."""
    from lm_eval.tasks._yaml_loader import load_yaml

    return {k: v for k, v in load_yaml(TEMPLATE_YAML, resolve_func=True).items() if k not in ("class", "tag")}


class ToolTask(ConfigurableTask):
    """A ConfigurableTask that asks each problem in ``no_tool`` and ``choice`` mode.

    A YAML that names this class without including the shared template (a third-party domain cannot
    include a file by a path inside toolwise) gets the template's keys here; its own keys win.
    """

    def __init__(self, config: dict[str, Any] | None = None, **kwargs: Any) -> None:
        # lm-eval hands the YAML back with its 'class' key, which TaskConfig does not accept.
        config = {k: deepcopy(v) for k, v in _template_defaults().items() if k not in (config or {})} | {
            k: v for k, v in (config or {}).items() if k != "class"
        }
        if config.get("metric_list") is not None:
            named = {m.get("metric") for m in config["metric_list"]}
            config["metric_list"] = [
                *config["metric_list"],
                *(m for m in RELIABILITY_METRICS if m["metric"] not in named),
            ]
        super().__init__(config=config, **kwargs)
        metadata = self.config.metadata or {}
        self._tool_modules = list(metadata.get("tool_modules") or [])
        if not self._tool_modules and metadata.get("domain"):
            domain = find_domain(str(metadata["domain"]))
            self._tool_modules = list(domain.tool_modules) if domain else []
        self._fingerprint = tools_fingerprint(self._tool_modules)

    def construct_requests(self, doc: dict[str, Any], ctx: Any, **kwargs: Any) -> list[Instance]:
        kwargs.pop("apply_chat_template", None)
        kwargs.pop("chat_template", None)
        requests = []
        for idx, mode in enumerate(REQUEST_MODES):
            gen_kwargs = deepcopy(self.config.generation_kwargs or {})
            gen_kwargs["toolwise"] = {
                "mode": mode,
                "task": self.config.task,
                "tool_modules": self._tool_modules,
                "tools_fingerprint": self._fingerprint,
            }
            requests.append(
                Instance(request_type="generate_until", doc=doc, arguments=(ctx, gen_kwargs), idx=idx, **kwargs)
            )
        return requests
