"""Declaring a scientific tool once: name, JSON schema, validation, timing, cache.

A tool is a plain typed function. ``@tool`` reads its signature and the
``Args:`` section of its docstring, builds the JSON Schema a model sees, and
wraps calls so that bad arguments raise :class:`ToolError` with a message the
model can act on. Results are cached by (name, canonical arguments) because
every tool is deterministic.
"""

from __future__ import annotations

import inspect
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_type_hints

import docstring_parser
import pydantic


class ToolError(Exception):
    """A problem with a tool call that the model should read and can fix."""


@dataclass(frozen=True)
class ToolResult:
    """What one call produced: JSON-ready ``value`` or an ``error`` message."""

    value: Any = None
    error: str | None = None
    seconds: float = 0.0
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_message(self) -> str:
        """The text the model reads back as the tool message."""
        if self.error is not None:
            return f"Error: {self.error}"
        if isinstance(self.value, str):
            return self.value
        return json.dumps(self.value, ensure_ascii=False)


def canonical_arguments(arguments: Mapping[str, Any]) -> str:
    """A stable text form of arguments: sorted keys, no whitespace."""
    return json.dumps(arguments, sort_keys=True, separators=(",", ":"), default=str)


@dataclass
class ToolSpec:
    """One registered tool."""

    name: str
    description: str
    parameters: dict[str, Any]
    fn: Callable[..., Any]
    model: type[pydantic.BaseModel]
    cache_size: int = 4096
    _cache: OrderedDict[str, Any] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def schema(self) -> dict[str, Any]:
        """OpenAI-style function schema, also what HF chat templates take."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    def validate(self, arguments: Any) -> dict[str, Any]:
        """Check ``arguments`` against the schema; raise ToolError saying what is wrong."""
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError as exc:
                raise ToolError(f"arguments of '{self.name}' are not valid JSON: {exc.msg}") from None
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, Mapping):
            raise ToolError(f"arguments of '{self.name}' must be a JSON object, got {type(arguments).__name__}")
        try:
            validated = self.model.model_validate(dict(arguments))
        except pydantic.ValidationError as exc:
            raise ToolError(_describe_validation_error(self.name, exc)) from None
        return validated.model_dump()

    def call(self, arguments: Any) -> ToolResult:
        """Validate, run (or fetch from the cache) and time one call. Never raises."""
        start = time.perf_counter()
        try:
            kwargs = self.validate(arguments)
        except ToolError as exc:
            return ToolResult(error=str(exc), seconds=time.perf_counter() - start)
        key = canonical_arguments(kwargs)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return ToolResult(value=self._cache[key], seconds=time.perf_counter() - start, cached=True)
        try:
            value = self.fn(**kwargs)
        except ToolError as exc:
            return ToolResult(error=str(exc), seconds=time.perf_counter() - start)
        except Exception as exc:  # a tool bug must not end the run; the model sees a short reason
            return ToolResult(
                error=f"tool '{self.name}' failed: {type(exc).__name__}: {exc}",
                seconds=time.perf_counter() - start,
            )
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return ToolResult(value=value, seconds=time.perf_counter() - start)

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()


_REGISTRY: dict[str, ToolSpec] = {}


def tool(fn: Callable[..., Any] | None = None, *, name: str | None = None, cache_size: int = 4096) -> Any:
    """Register a function as a tool. Use as ``@tool`` or ``@tool(name=...)``.

    Parameter constraints go in ``typing.Annotated`` with ``pydantic.Field``
    (``Annotated[float, Field(gt=0)]``); ``Literal`` gives an enum. The
    decorated function stays callable as before.
    """

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        spec = build_spec(func, name=name, cache_size=cache_size)
        existing = _REGISTRY.get(spec.name)
        if existing is not None and existing.fn.__qualname__ != func.__qualname__:
            raise ValueError(f"tool name '{spec.name}' is already registered by {existing.fn.__module__}")
        _REGISTRY[spec.name] = spec
        func.tool_spec = spec  # type: ignore[attr-defined]
        return func

    return register(fn) if fn is not None else register


def build_spec(func: Callable[..., Any], *, name: str | None = None, cache_size: int = 4096) -> ToolSpec:
    """Make a ToolSpec from a function's signature and docstring."""
    doc = docstring_parser.parse(inspect.getdoc(func) or "")
    arg_help = {p.arg_name: (p.description or "").strip() for p in doc.params}
    description = "\n\n".join(part for part in (doc.short_description, doc.long_description) if part)
    if not description:
        raise ValueError(f"tool {func.__name__} needs a docstring: it is the description the model reads")
    hints = get_type_hints(func, include_extras=True)
    fields: dict[str, Any] = {}
    for pname, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ValueError(f"tool {func.__name__}: *args/**kwargs cannot be described to a model")
        if pname not in hints:
            raise ValueError(f"tool {func.__name__}: parameter '{pname}' needs a type hint")
        if pname not in arg_help:
            raise ValueError(f"tool {func.__name__}: parameter '{pname}' needs a line in the docstring's Args")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (hints[pname], pydantic.Field(default=default, description=arg_help[pname]))
    model = pydantic.create_model(  # type: ignore[call-overload]
        f"{func.__name__}_arguments",
        __config__=pydantic.ConfigDict(extra="forbid", allow_inf_nan=False),
        **fields,
    )
    parameters = _clean_schema(model.model_json_schema())
    return ToolSpec(
        name=name or func.__name__,
        description=description,
        parameters=parameters,
        fn=func,
        model=model,
        cache_size=cache_size,
    )


def _clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop pydantic's titles: they repeat the names and cost prompt tokens."""
    if isinstance(schema, dict):
        return {k: _clean_schema(v) for k, v in schema.items() if k != "title"}  # type: ignore[return-value]
    if isinstance(schema, list):
        return [_clean_schema(v) for v in schema]  # type: ignore[return-value]
    return schema


def _describe_validation_error(tool_name: str, exc: pydantic.ValidationError) -> str:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        if err["type"] == "missing":
            problems.append(f"missing required argument '{where}'")
        elif err["type"] == "extra_forbidden":
            problems.append(f"unexpected argument '{where}'")
        else:
            problems.append(f"argument '{where}': {err['msg']} (got {err.get('input')!r})")
    return f"invalid arguments for '{tool_name}': " + "; ".join(problems)


def get_tool(name: str) -> ToolSpec:
    """The registered tool called ``name``; ToolError listing the known ones otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise ToolError(f"unknown tool '{name}'; available tools: {known}") from None


def registered_tools() -> dict[str, ToolSpec]:
    """A copy of the registry, by name."""
    return dict(_REGISTRY)
