"""What a condition of the condition language (models.condition_language) says of a world
state: whether it holds, and which part of it fails.

Apart from the language itself, so that the events that carry conditions need not know the
state they are judged on: `models/` imports downwards only.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from models.condition_language import Condition
from models.state import WorldState


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
    if condition.has is not None:
        return isinstance(value, list | tuple) and condition.has in value
    return bool(value == condition.is_)


def failing(condition: Condition, state: WorldState) -> Condition:
    """The part of a condition that does not hold: for `all`, the first failing member."""
    if condition.all is not None:
        return next((failing(c, state) for c in condition.all if not holds(c, state)), condition)
    return condition


def state_value(state: WorldState, path: str) -> Any:
    """A value of the state by dotted path: `outcome`, `defcon.SAC`, `tracks.cuba`."""
    value: Any = state
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, BaseModel):
            value = getattr(value, part, None)
        else:
            return None
    return value
