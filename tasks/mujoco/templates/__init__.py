"""Every MuJoCo question template, by name, grouped by the scene tool it asks about."""

from __future__ import annotations

from toolwise.tasks.mujoco.template import Template
from toolwise.tasks.mujoco.templates import ball, box, collision, game, pendulum, vehicle

TEMPLATES: dict[str, Template] = {
    t.name: t for module in (pendulum, ball, collision, box, game, vehicle) for t in module.TEMPLATES
}


def templates_by_tool() -> dict[str, list[Template]]:
    """Templates grouped by scene tool, in a fixed order (tools in first-seen order)."""
    grouped: dict[str, list[Template]] = {}
    for template in TEMPLATES.values():
        grouped.setdefault(template.tool, []).append(template)
    return grouped
