"""What a plan's schema cannot say: the checks a designer needs before running a variant."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import ValidationError

from models import vocabulary
from models.admission import field_name, term_problems, vocabulary_problems
from models.behaviour import TimedRule
from models.events import EVENT_ADAPTER
from models.plan import PlanDefinition
from models.steps import (
    ActionStep,
    EndStep,
    EscalateStep,
    NegotiateStep,
    Step,
    WaitStep,
    sub_steps,
)

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    path: Path
    code: str
    message: str


def _sequences(steps: tuple[Step, ...], path: Path) -> Iterator[tuple[tuple[Step, ...], Path]]:
    yield steps, path
    for index, step in enumerate(steps):
        for held in sub_steps(step):
            yield from _sequences(held.steps, (*path, index, *held.path))


def check(plan: PlanDefinition) -> list[Finding]:
    findings: list[Finding] = []
    seen: dict[str, Path] = {}
    tracks = {t.id for t in plan.tracks}
    can_end = False
    for steps, path in _sequences(plan.steps, ("steps",)):
        for index, step in enumerate(steps):
            here = (*path, index)
            if step.id in seen:
                findings.append(
                    Finding((*here, "id"), "E-DUPLICATE-ID", f"step id {step.id!r} is used twice")
                )
            seen[step.id] = here
            if isinstance(step, EndStep) and index + 1 < len(steps):
                findings.append(
                    Finding(
                        (*path, index + 1),
                        "E-UNREACHABLE",
                        f"step {steps[index + 1].id!r} comes after an end",
                    )
                )
            if isinstance(step, NegotiateStep):
                if step.track not in tracks:
                    findings.append(Finding((*here, "track"), "E-UNKNOWN-TRACK", f"no track {step.track!r}"))
                elif plan.track(step.track).settles_crisis:
                    can_end = True
            can_end = can_end or isinstance(step, EscalateStep | EndStep)
            if isinstance(step, WaitStep) and step.deadline.total_seconds() <= 0:
                findings.append(
                    Finding((*here, "deadline"), "E-DEADLINE-ORDER", "the deadline is not after the start")
                )
            if isinstance(step, ActionStep):
                findings += _check_action(step, here, plan)
    if not can_end:
        findings.append(
            Finding(("steps",), "E-NO-END", "no step can end the crisis (no escalate, end or crisis track)")
        )
    if plan.behaviour is not None:
        findings += _check_delays(plan)
    findings += _check_vocabulary(plan)
    for index, move in enumerate(plan.moves):
        if move.at is None:
            findings.append(
                Finding(("moves", index), "E-MISSING-FIELD", "a scripted move needs its instant (at)")
            )
        elif move.at < plan.starts_at:
            findings.append(
                Finding(("moves", index, "at"), "E-DEADLINE-ORDER", "the move comes before the plan starts")
            )
    return findings


def _check_vocabulary(plan: PlanDefinition) -> list[Finding]:
    """Scripted and drawn moves name tracks, allies and terms the plan knows; an `end` in
    military action names a rung it knows: a misspelling is caught here, at its line."""
    found: list[tuple[Path, str, str]] = [
        (("moves", index, *path), code, reason)
        for index, move in enumerate(plan.moves)
        for path, code, reason in vocabulary_problems(move, plan)
    ]
    tracks = frozenset(t.id for t in plan.tracks)
    allies = vocabulary.allies(plan)
    if plan.behaviour is not None:
        for i, rule in enumerate(plan.behaviour.soviet):
            if rule.track not in tracks:
                reason = f"unknown track {rule.track!r} ({vocabulary.near(rule.track, tracks)})"
                found.append((("behaviour", "soviet", i, "track"), "E-UNKNOWN-TRACK", reason))
            for j, option in enumerate(rule.options):
                found += [
                    (("behaviour", "soviet", i, "options", j, *path), code, reason)
                    for path, code, reason in term_problems(option.terms, plan)
                ]
        for i, ally in enumerate(plan.behaviour.allies):
            if ally.ally not in allies:
                reason = f"unknown ally {ally.ally!r} ({vocabulary.near(ally.ally, allies)})"
                found.append((("behaviour", "allies", i, "ally"), "E-UNKNOWN-ALLY", reason))
    rungs = vocabulary.rungs(plan)
    for steps, path in _sequences(plan.steps, ("steps",)):
        for index, step in enumerate(steps):
            if isinstance(step, EndStep) and step.outcome == "military_action" and step.rung not in rungs:
                reason = f"unknown rung {step.rung!r} ({vocabulary.near(step.rung, rungs)})"
                found.append(((*path, index, "rung"), "E-UNKNOWN-RUNG", reason))
    return [Finding(path, code, f"{field_name(path)}: {reason}") for path, code, reason in found]


def _check_action(step: ActionStep, path: Path, plan: PlanDefinition) -> list[Finding]:
    try:
        EVENT_ADAPTER.validate_python(
            {
                "type": step.event,
                "at": plan.starts_at,
                "provenance": "plan",
                "actor": step.actor,
                "summary": step.summary,
                "sources": plan.sources,
                **step.fields,
            }
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        if error["type"] == "union_tag_invalid":
            return [Finding((*path, "event"), "E-UNKNOWN-EVENT", f"unknown event type {step.event!r}")]
        where = ".".join(str(p) for p in error["loc"][1:])
        return [Finding((*path, "fields"), "E-INVALID", f"fields: {where}: {error['msg']}")]
    return []


def _check_delays(plan: PlanDefinition) -> list[Finding]:
    """Every `after: [earliest, latest]` of a behaviour rule must be in order."""
    assert plan.behaviour is not None
    rules: list[tuple[Path, TimedRule]] = [
        (("behaviour", "soviet", i, "options", j), option)
        for i, rule in enumerate(plan.behaviour.soviet)
        for j, option in enumerate(rule.options)
    ]
    rules += [(("behaviour", "allies", i), ally) for i, ally in enumerate(plan.behaviour.allies)]
    rules += [
        (("behaviour", "incidents", i), incident) for i, incident in enumerate(plan.behaviour.incidents)
    ]
    return [
        Finding((*path, "after"), "E-DEADLINE-ORDER", "after: the latest delay is before the earliest")
        for path, rule in rules
        if rule.after[1] < rule.after[0]
    ]
