"""The condition language: structured conditions on the world state, data and never code.

A plan's `choice` runs the first case whose condition holds; a historical event or move
`requires` a condition, on the state as the side that decides it knew it, and does not
happen when it fails (models.engine). A condition is one of:

- `{state: PATH, is: VALUE}`: the value at a dotted path of the state (`outcome`,
  `defcon.SAC`, `tracks.cuba`) equals VALUE (`null` for none);
- `{state: PATH, in: [VALUES]}`: it is one of VALUES;
- `{state: PATH, has: VALUE}`: it is a list (`terms_agreed`) that holds VALUE;
- `{all: [...]}`, `{any: [...]}`, `{not: ...}`.

The language is data, and an event carries it: what it means of a state is
`models.evaluation`'s, below the events and the state that use it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.sides import Side


class Condition(BaseModel):
    """`{state: outcome, is: null}`, `{state: quarantine, in: [in_force]}`, `has`, or all/any/not."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    state: str | None = None
    is_: Any = Field(default=None, alias="is")
    in_: tuple[Any, ...] | None = Field(default=None, alias="in")
    has: Any = None
    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None
    not_: Condition | None = Field(default=None, alias="not")


class Requirement(BaseModel):
    """What a historical decision or consequence depends on: a condition on the world as the
    deciding side knew it at the instant of the event."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    side: Side = Field(description="the side whose knowledge the decision rests on")
    if_: Condition = Field(alias="if")

    @model_validator(mode="after")
    def _says_something(self) -> Requirement:
        if self.if_ == Condition():
            raise ValueError("if: an empty condition")
        return self


def describe(condition: Condition) -> str:
    """A condition in words, for the record of what did not happen and why."""
    if condition.all is not None:
        return " and ".join(describe(c) for c in condition.all)
    if condition.any is not None:
        return "(" + " or ".join(describe(c) for c in condition.any) + ")"
    if condition.not_ is not None:
        inner = condition.not_
        if inner.state is not None and inner.in_ is None and inner.has is None:
            return f"{inner.state} is not {_word(inner.is_)}"
        return f"not {describe(inner)}"
    if condition.in_ is not None:
        return f"{condition.state} is one of {', '.join(_word(v) for v in condition.in_)}"
    if condition.has is not None:
        return f"{condition.state} has {_word(condition.has)}"
    return f"{condition.state} is {_word(condition.is_)}"


def _word(value: Any) -> str:
    return "none" if value is None else str(value)


Condition.model_rebuild()
