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
# The slots every pydantic model instance has, set through their descriptors: what
# `object.__setattr__` does with their names, without looking each name up per call.
_slots = BaseModel.__dict__
_set_dict = _slots["__dict__"].__set__
_set_fields_set = _slots["__pydantic_fields_set__"].__set__
_set_extra = _slots["__pydantic_extra__"].__set__
_set_private = _slots["__pydantic_private__"].__set__
# A pydantic model class's own `__new__` is looked up through its metaclass on every
# call, which costs as much as making the instance: models define no `__new__` of their
# own, so object's is called directly.
_new = object.__new__
# Per model class: the defaults of the fields that have a plain default (a default
# factory's value is made afresh per instance), the fields with a default factory, and
# the required fields.
_Template = tuple[dict[str, Any], tuple[tuple[str, Any], ...], frozenset[str]]
_templates: dict[type[BaseModel], _Template] = {}


def _template(cls: type[BaseModel]) -> _Template:
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
    template = _templates.get(cls) or _template(cls)
    defaults, factories, required = template
    if not values.keys() >= required:
        raise TypeError(f"{cls.__name__}: missing {', '.join(sorted(required - values.keys()))}")
    # The defaults first, so the fields keep their declaration order, as validation gives.
    fields = {**defaults, **values}
    for name, factory in factories:
        if name not in values:
            fields[name] = factory()
    model = _new(cls)
    _set_dict(model, fields)
    _set_fields_set(model, set(values))
    _set_extra(model, None)
    _set_private(model, None)
    return model


# Per model class and the names of the fields given, in order: the defaults, and the set
# of the fields given, shared by every instance so made (as `replace` shares it).
_shapes: dict[tuple[type[BaseModel], tuple[str, ...]], tuple[dict[str, Any], set[str]]] = {}


def construct_from(cls: type[M], values: dict[str, Any]) -> M:
    """`construct`, from a dict of the values the caller gives up: for the engine's and the
    plan's events, built thousands of times with the same fields given. The check of the
    required fields and the set of the fields given are made once per class and fields."""
    shape = (cls, tuple(values))
    found = _shapes.get(shape)
    if found is None:
        model = construct(cls, **values)
        if _templates[cls][1]:  # a default factory's value is made afresh: no shortcut
            return model
        _shapes[shape] = (_templates[cls][0], model.__pydantic_fields_set__)
        return model
    defaults, fields_set = found
    model = _new(cls)
    _set_dict(model, {**defaults, **values})
    _set_fields_set(model, fields_set)
    _set_extra(model, None)
    _set_private(model, None)
    return model


def replace(model: M, **changes: Any) -> M:
    """A copy of `model` with some fields changed."""
    copied = _new(model.__class__)
    _set_dict(copied, {**model.__dict__, **changes})
    fields_set = model.__pydantic_fields_set__
    # Shared between copies while unchanged, so never updated in place: a new set if needed.
    _set_fields_set(
        copied,
        fields_set if fields_set.issuperset(changes) else fields_set | changes.keys(),
    )
    _set_extra(copied, None)
    _set_private(copied, None)
    return copied
