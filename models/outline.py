"""A plan read aloud: its steps in order, each with the memo paragraph it carries out."""

from __future__ import annotations

from collections.abc import Iterator

from models.durations import format_duration as span
from models.plan import PlanDefinition
from models.steps import (
    ActionStep,
    ChoiceStep,
    ConsultStep,
    EndStep,
    EscalateStep,
    LevelsStep,
    NegotiateStep,
    ParallelStep,
    PhaseStep,
    Step,
    WaitStep,
    sub_steps,
)


def words(text: str) -> str:
    return text.replace("_", " ")


def describe(plan: PlanDefinition, step: Step) -> str:
    """One line saying what a step does (its sub-steps are described on their own)."""
    if isinstance(step, ActionStep):
        return step.summary
    if isinstance(step, ConsultStep):
        return f"Consult {step.ally}; wait {span(step.deadline)} for its answer"
    if isinstance(step, NegotiateStep):
        track = plan.track(step.track)
        ending = "its settlement ends the crisis" if track.settles_crisis else "kept apart from Cuba"
        return (
            f"{track.title} track: propose {', '.join(words(t) for t in track.proposal)} by "
            f"{words(track.channel)} ({span(plan.transit[track.channel])} in transit); "
            f"open {span(track.deadline)}; {ending}"
        )
    if isinstance(step, LevelsStep):
        return (
            f"If the Soviets refuse a level of talks, fall back: {', '.join(words(v) for v in plan.levels)}"
        )
    if isinstance(step, EscalateStep):
        return (
            f"If the {plan.crisis_track.title} track fails, or {span(plan.deadline)} pass without "
            "settlement, escalate"
        )
    if isinstance(step, ParallelStep):
        return f"At once, {len(step.branches)} branches:"
    if isinstance(step, PhaseStep):
        return f"Phase: {step.title}"
    if isinstance(step, WaitStep):
        wanted = " or ".join(
            words(p.move) + "".join(f" {v}" for v in (p.track, p.ally, p.answer, p.incident) if v)
            for p in step.for_
        )
        return f"Wait up to {span(step.deadline)} for {wanted}"
    if isinstance(step, ChoiceStep):
        return f"Choose on the state ({len(step.when)} case(s) and an otherwise)"
    assert isinstance(step, EndStep)
    return f"End: {words(step.outcome)}"


def outline(plan: PlanDefinition) -> list[tuple[int, str, str]]:
    """(depth, memo paragraph, description) for every step, in the order it is taken."""
    return list(_lines(plan, plan.steps, 0, ""))


def ladder(plan: PlanDefinition) -> str:
    return "Escalation ladder: " + ", then ".join(
        f"{words(r.rung)}{' (military action)' if r.military_action else ''}"
        + (f" after {span(r.after)}" if index else "")
        for index, r in enumerate(plan.ladder)
    )


def paragraph_of(plan: PlanDefinition, step: Step, inherited: str = "") -> str:
    if isinstance(step, NegotiateStep):
        return plan.track(step.track).step
    return step.step or inherited


def _lines(
    plan: PlanDefinition, steps: tuple[Step, ...], depth: int, inherited: str
) -> Iterator[tuple[int, str, str]]:
    for step in steps:
        paragraph = paragraph_of(plan, step, inherited)
        yield depth, paragraph, describe(plan, step)
        if isinstance(step, EscalateStep):
            yield depth + 1, "2b", ladder(plan)
        for label, children in _children(step):
            if label:
                yield depth + 1, paragraph, label
            yield from _lines(plan, children, depth + (2 if label else 1), paragraph)


LABELS = {"then": "if it comes:", "timeout": "if the deadline passes:", "else": "otherwise:"}


def _children(step: Step) -> Iterator[tuple[str, tuple[Step, ...]]]:
    for held in sub_steps(step):
        if held.role == "case" and held.condition is not None:
            yield f"if {held.condition.model_dump(by_alias=True, exclude_none=True)}:", held.steps
        else:
            yield LABELS.get(held.role, ""), held.steps
