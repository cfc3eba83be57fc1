"""Frozen models built or copied from values already validated, without validating again.

The engine makes some sixty events and as many states per simulated timeline, and an
ensemble makes them for thousands of timelines: validating each one again (the offset of
every instant, every field's type) was over a third of an ensemble's time. The values come
from models that were validated when they were read (a plan, a move) or from the engine's
own arithmetic, so the engine builds with `construct` and copies with `replace`.

Both are what pydantic's `model_construct` and `model_copy(update=...)` do, at a fraction
of their cost, and with the same contract: callers pass values of the right type. The
tests hold them to it: every event of every shipped timeline and plan validates again to
an equal event.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__
# Per model class: every field in declaration order, each with its default (a default
# factory's value is made afresh per instance) or a marker for a required field.
_Template = tuple[dict[str, Any], tuple[tuple[str, Any], ...], frozenset[str]]
_templates: dict[type[BaseModel], _Template] = {}


def _template(cls: type[BaseModel]) -> _Template:
    found = _templates.get(cls)
    if found is None:
        defaults: dict[str, Any] = {}
        factories: list[tuple[str, Any]] = []
        for name, field in cls.model_fields.items():
            defaults[name] = field.default
            if field.default_factory is not None:
                factories.append((name, field.default_factory))
        required = frozenset(n for n, f in cls.model_fields.items() if f.is_required())
        found = _templates[cls] = (defaults, tuple(factories), required)
    return found


def construct(cls: type[M], **values: Any) -> M:
    """An instance of `cls` with these field values and the defaults of the others."""
    defaults, factories, required = _template(cls)
    if not required.issubset(values):
        raise TypeError(f"{cls.__name__}: missing {', '.join(sorted(required - values.keys()))}")
    fields = defaults.copy()
    for name, factory in factories:
        if name not in values:
            fields[name] = factory()
    fields.update(values)
    model = cls.__new__(cls)
    _set(model, "__dict__", fields)
    _set(model, "__pydantic_fields_set__", set(values))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def replace(model: M, **changes: Any) -> M:
    """A copy of `model` with some fields changed."""
    copied = model.__class__.__new__(model.__class__)
    values = model.__dict__.copy()
    values.update(changes)
    _set(copied, "__dict__", values)
    _set(copied, "__pydantic_fields_set__", _fields_set(model, changes))
    _set(copied, "__pydantic_extra__", None)
    _set(copied, "__pydantic_private__", None)
    return copied


def update_own(model: BaseModel, changes: dict[str, Any]) -> None:
    """Change fields of a frozen model in place. Only for a model no one else holds yet
    (a copy just made by `replace`): see `Scheduler.state`."""
    model.__dict__.update(changes)
    _set(model, "__pydantic_fields_set__", _fields_set(model, changes))


def _fields_set(model: BaseModel, changes: dict[str, Any]) -> set[str]:
    # Shared between copies while unchanged, so never updated in place: a new set if needed.
    fields_set = model.__pydantic_fields_set__
    return fields_set if fields_set.issuperset(changes) else fields_set.union(changes)
