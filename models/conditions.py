"""Structured conditions for `choice` and move patterns for `wait`: data, never code."""

from __future__ import annotations

from typing import Any

from models.moves import AlliedAnswer, Incident, Move, SovietReply
from models.state import WorldState
from models.steps import Condition, MovePattern


def holds(condition: Condition, state: WorldState) -> bool:
    """Whether a condition holds of the world state."""
    if condition.all is not None:
        return all(holds(c, state) for c in condition.all)
    if condition.any is not None:
        return any(holds(c, state) for c in condition.any)
    if condition.not_ is not None:
        return not holds(condition.not_, state)
    value = state_value(state, condition.state or "")
    if condition.in_ is not None:
        return value in condition.in_
    return bool(value == condition.is_)


def state_value(state: WorldState, path: str) -> Any:
    """A value of the state by dotted path: `outcome`, `defcon.SAC`, `tracks.cuba`."""
    value: Any = state.model_dump(mode="json")
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def pattern_mailbox(pattern: MovePattern) -> str:
    if pattern.move == "soviet_reply":
        return f"track:{pattern.track}"
    if pattern.move == "allied_answer":
        return f"ally:{pattern.ally}"
    return "incidents"


def matches(pattern: MovePattern, move: Move) -> bool:
    if move.kind != pattern.move:
        return False
    wanted: dict[str, str | None] = {"answer": pattern.answer}
    if isinstance(move, SovietReply):
        wanted["track"] = pattern.track
    elif isinstance(move, AlliedAnswer):
        wanted["ally"] = pattern.ally
    elif isinstance(move, Incident):
        wanted = {"incident": pattern.incident}
    return all(expected is None or getattr(move, key, None) == expected for key, expected in wanted.items())
