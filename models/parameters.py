"""A plan's parameters by their path, as a sweep varies them: `deadline`, `transit.cable`,
`tracks.cuba.deadline`, `ladder.air_strike.after`, `steps.consult-turkey.deadline`,
`behaviour.soviet.cuba.options.accept.p`, `behaviour.allies.turkey.p_answer`.

A path walks the plan as its file is written: a mapping by key, a list by position or by
what names its element (a track's `id`, an ally's `ally`, a rung's `rung`, an option's
`answer`...), written as in the file or as a slug (`north_atlantic_council`). Under
`steps`, a step id names that step wherever it is nested. A parameter is a number or a
duration; a plan with a value set is validated whole, so a value the plan cannot take
(a weight above 1, a negative delay) is refused with the plan's own reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from pydantic import ValidationError

from models.durations import parse_duration
from models.errors import ExcommError
from models.members import hours, slug
from models.plan import PlanDefinition

Kind = Literal["duration", "number", "integer"]
# What names an element of a list in a plan file, in the order they are tried.
_NAMES = ("id", "track", "ally", "incident", "rung", "answer", "name", "subject")


class BadParameter(ExcommError, ValueError):
    """A path that names no parameter, or a value or range it cannot take: one line."""

    status = 2


@dataclass(frozen=True)
class Parameter:
    path: str
    kind: Kind
    value: float  # now: hours for a duration

    @property
    def column(self) -> str:
        """Its column in a table: durations in hours, so `deadline_h`."""
        return f"{self.path}_h" if self.kind == "duration" else self.path

    def written(self, value: float) -> str:
        """A value as a plan file writes it: `36h`, `0.25`, `3`."""
        if self.kind == "duration":
            hours_, minutes = divmod(round(value * 60), 60)
            return f"{hours_}h{minutes:02d}m" if minutes else f"{hours_}h"
        return str(int(value)) if self.kind == "integer" else f"{value:g}"


@dataclass(frozen=True)
class Range:
    parameter: Parameter
    low: float
    high: float


def _segments(path: str) -> list[str]:
    if not re.fullmatch(r"[A-Za-z0-9_\- ]+(\.[A-Za-z0-9_\- ]+)*", path):
        raise BadParameter(f"{path!r} is not a path: names joined by dots, as deadline or transit.cable")
    return path.split(".")


def _same(name: object, segment: str) -> bool:
    return isinstance(name, str) and (name == segment or slug(name) == slug(segment))


def _element(items: list[Any], segment: str, at: str) -> int:
    if segment.isdigit() and int(segment) < len(items):
        return int(segment)
    for index, item in enumerate(items):
        if isinstance(item, dict) and any(_same(item.get(name), segment) for name in _NAMES):
            return index
    names = [next((str(i[n]) for n in _NAMES if n in i), "") for i in items if isinstance(i, dict)]
    known = ", ".join(slug(n) for n in names if n) or f"0..{len(items) - 1}"
    raise BadParameter(f"no {segment!r} in {at} (there: {known})")


def _step(steps: list[Any], step_id: str) -> dict[str, Any] | None:
    """The step with this id, however deep in branches, cases and phases."""
    for step in steps:
        if not isinstance(step, dict):
            continue
        if _same(step.get("id"), step_id):
            return step
        nested: list[Any] = (
            list(step.get("steps", ())) + list(step.get("then", ())) + list(step.get("else", ()))
        )
        nested += list(step.get("timeout", ()))
        for branch in step.get("branches", ()):
            nested += list(branch)
        for case in step.get("when", ()):
            nested += list(case.get("then", ()))
        found = _step(nested, step_id)
        if found is not None:
            return found
    return None


def _locate(data: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container holding the parameter at `path`, and its key there."""
    segments = _segments(path)
    container: Any = data
    walked: list[str] = []
    for number, segment in enumerate(segments):
        at = ".".join(walked) or "the plan"
        last = number == len(segments) - 1
        if walked == ["steps"] and isinstance(container, list) and not segment.isdigit():
            step = _step(container, segment)
            if step is None:
                raise BadParameter(f"no step {segment!r} in the plan's steps")
            if last:
                raise BadParameter(f"steps.{segment} is a step, not a value: name one of its fields")
            container, walked = step, [*walked, segment]
            continue
        if isinstance(container, dict):
            key = next((k for k in container if _same(k, segment)), None)
            if key is None:
                fields = ", ".join(str(k) for k in container)
                raise BadParameter(f"no field {segment!r} at {at} (fields: {fields})")
            if last:
                return container, key
            container = container[key]
        elif isinstance(container, list):
            index = _element(container, segment, at)
            if last:
                return container, index
            container = container[index]
        else:
            raise BadParameter(f"{at} is a value, not a mapping or a list: nothing is under it")
        walked.append(segment)
    raise BadParameter(f"{path!r} names no value")  # unreachable: the loop returns


def _data(plan: PlanDefinition) -> dict[str, Any]:
    """The plan as its file gives it, every sequence a list (so a value can be set in it)."""

    def lists(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: lists(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [lists(v) for v in value]
        return value

    data: dict[str, Any] = lists(plan.model_dump(by_alias=True))
    return data


def _as_duration(value: Any) -> timedelta | None:
    # A plan serialises its durations as it reads them: `8h`.
    if isinstance(value, timedelta):
        return value
    return parse_duration(value) if isinstance(value, str) else None


def parameter(plan: PlanDefinition, path: str) -> Parameter:
    """The parameter at `path`, with its kind and its value in the plan."""
    container, key = _locate(_data(plan), path)
    value = container[key]
    duration = _as_duration(value)
    if duration is not None:
        return Parameter(path, "duration", hours(duration))
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = (
            "a list"
            if isinstance(value, list | tuple)
            else "a mapping"
            if isinstance(value, dict)
            else "text"
        )
        raise BadParameter(f"{path} is {shown}, not a number or a duration: a sweep varies numbers")
    return Parameter(path, "integer" if isinstance(value, int) else "number", float(value))


def parse_value(parameter: Parameter, text: str) -> float:
    """A value written for this parameter: a duration (`36h`, `90m`) or a number."""
    text = text.strip()
    if parameter.kind == "duration":
        compound = re.fullmatch(r"(\d+)h(\d+)m", text)  # as a sweep's table writes them: 68h56m
        if compound:
            text = f"{int(compound[1]) * 60 + int(compound[2])}m"
        try:
            duration = parse_duration(text)
        except ValueError as exc:
            raise BadParameter(str(exc)) from None
        if duration is None:
            raise BadParameter(f"{text!r} is not a duration such as 90m, 36h or 3d")
        return hours(duration)
    try:
        number = float(text) if parameter.kind == "number" else int(text)
    except ValueError:
        kind = "a number" if parameter.kind == "number" else "a whole number"
        raise BadParameter(f"{text!r} is not {kind}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise BadParameter(f"{text!r} is not a finite number")
    return float(number)


def with_values(plan: PlanDefinition, values: dict[Parameter, float]) -> PlanDefinition:
    """The plan with these parameters set, validated whole."""
    data = _data(plan)
    for param, value in values.items():
        container, key = _locate(data, param.path)
        if param.kind == "duration":
            container[key] = f"{round(value * 60)}m"  # as a file writes it: whole minutes
        else:
            container[key] = round(value) if param.kind == "integer" else value
    try:
        return PlanDefinition.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the plan"
        raise BadParameter(f"the plan cannot take it: {where}: {error['msg']}") from None


def parse_range(plan: PlanDefinition, text: str) -> Range:
    """`PATH=LOW..HIGH`, as `--vary` takes it; both ends are checked against the plan."""
    path, equals, span = text.partition("=")
    if not equals or ".." not in span:
        raise BadParameter("write PATH=LOW..HIGH, as deadline=24h..120h or cohesion_cost=0.1..0.5")
    param = parameter(plan, path.strip())
    low_text, _, high_text = span.partition("..")
    low, high = parse_value(param, low_text), parse_value(param, high_text)
    if not low < high:
        raise BadParameter(f"the range {span.strip()} is empty: LOW must be below HIGH")
    for end in (low, high):
        try:
            with_values(plan, {param: end})
        except BadParameter as exc:
            raise BadParameter(f"{param.written(end)}: {exc}") from None
    return Range(param, low, high)


def parse_setting(plan: PlanDefinition, text: str) -> tuple[Parameter, float]:
    """`PATH=VALUE`, as `--set` takes it."""
    path, equals, value = text.partition("=")
    if not equals or not value.strip():
        raise BadParameter("write PATH=VALUE, as deadline=48h or cohesion_cost=0.5")
    param = parameter(plan, path.strip())
    return param, parse_value(param, value)


def with_settings(plan: PlanDefinition, settings: list[str]) -> PlanDefinition:
    """The plan with each `PATH=VALUE` set; its title says what was set, so a run of it is
    never mistaken for the plan as written."""
    if not settings:
        return plan
    values: dict[Parameter, float] = {}
    for text in settings:
        try:
            param, value = parse_setting(plan, text)
        except BadParameter as exc:
            raise BadParameter(f"invalid --set {text}: {exc}") from None
        values[param] = value
    try:
        changed = with_values(plan, values)
    except BadParameter as exc:
        raise BadParameter(f"invalid --set {' '.join(settings)}: {exc}") from None
    shown = ", ".join(f"{p.path}={p.written(v)}" for p, v in values.items())
    return changed.model_copy(update={"title": f"{plan.title} [{shown}]"})
