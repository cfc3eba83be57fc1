"""What one plan changes relative to another, field by field and step by step."""

from __future__ import annotations

from typing import Any

from models.plan import PlanDefinition, walk


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else str(key), out)
    else:
        out[path] = value


def plan_diff(a: PlanDefinition, b: PlanDefinition) -> list[str]:
    """Lines such as `deadline: 72h -> 36h`, `+ step watch-for-a-u2-loss (wait)`."""
    lines: list[str] = []
    left: dict[str, Any] = {}
    right: dict[str, Any] = {}
    skip = {"steps", "moves", "behaviour", "id", "title", "description", "sources"}
    _flatten({k: v for k, v in a.model_dump(mode="json").items() if k not in skip}, "", left)
    _flatten({k: v for k, v in b.model_dump(mode="json").items() if k not in skip}, "", right)
    for key in sorted(left.keys() | right.keys()):
        if left.get(key, "(none)") != right.get(key, "(none)"):
            lines.append(f"{key}: {left.get(key, '(none)')} -> {right.get(key, '(none)')}")
    steps_a = {s.id: s for s in walk(a.steps)}
    steps_b = {s.id: s for s in walk(b.steps)}
    for step_id in steps_a.keys() - steps_b.keys():
        lines.append(f"- step {step_id} ({steps_a[step_id].kind})")
    for step_id in steps_b.keys() - steps_a.keys():
        lines.append(f"+ step {step_id} ({steps_b[step_id].kind})")
    for step_id in steps_a.keys() & steps_b.keys():
        if steps_a[step_id] != steps_b[step_id]:
            lines.append(f"~ step {step_id} ({steps_b[step_id].kind})")
    if a.moves != b.moves:
        lines.append(f"moves: {len(a.moves)} scripted -> {len(b.moves)} scripted")
    if a.behaviour != b.behaviour:
        described = ["seeded rules" if plan.behaviour else "none" for plan in (a, b)]
        lines.append(f"behaviour: {described[0]} -> {described[1]}")
    return sorted(lines, key=lambda line: (line[0] in "+-~", line))
