"""Scientific tools: pure functions with JSON schemas, no LLM code.

Each domain is a subpackage (``toolwise.tools.pde``, ...) whose import
registers its tools with :func:`tool`.
"""

from toolwise.tools._registry import (
    ToolError,
    ToolResult,
    ToolSpec,
    build_spec,
    canonical_arguments,
    get_tool,
    registered_tools,
    tool,
)

__all__ = [
    "ToolError",
    "ToolResult",
    "ToolSpec",
    "build_spec",
    "canonical_arguments",
    "get_tool",
    "registered_tools",
    "tool",
]
