"""The plan language: the kinds of step a plan is made of.

A plan is a sequence of steps. Generic kinds compose: `action` (emit an event with its
effects on the state), `wait` (for any of several moves, until a deadline), `parallel`
(branches that run at once), `choice` (on the state, by structured conditions, never
code), `phase` (a named part of the plan), `escalate` (climb the ladder), and `end` (with
an outcome). The memo's own kinds carry its paragraphs: `consult` (7a), `negotiate` (6),
and `levels` (4). Every step may name the memo paragraph it carries out (`step`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.condition_language import Condition
from models.durations import Duration
from models.events import Outcome

StepId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{0,62}$")]


class _Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: StepId
    step: str | None = Field(default=None, description="the memo paragraph carried out, e.g. 5a")


class ActionStep(_Step):
    kind: Literal["action"] = "action"
    event: str = Field(description="the event's type, e.g. resolve_declared")
    actor: str = "United States"
    summary: str = Field(min_length=1)
    fields: dict[str, Any] = Field(default_factory=dict, description="the event's own fields")
    sources: tuple[str, ...] | None = Field(
        default=None,
        description="what the event cites, if not the plan's sources (a step a variant inherits)",
    )


class MovePattern(BaseModel):
    """A move a `wait` waits for: its kind, and what it must say."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    move: Literal["soviet_reply", "allied_answer", "incident"]
    track: str | None = None
    ally: str | None = None
    answer: str | None = None
    incident: str | None = None


class WaitStep(_Step):
    kind: Literal["wait"] = "wait"
    for_: tuple[MovePattern, ...] = Field(alias="for", min_length=1)
    deadline: Duration
    then: tuple[Step, ...] = ()
    timeout: tuple[Step, ...] = ()


class Case(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    if_: Condition = Field(alias="if")
    then: tuple[Step, ...]


class ChoiceStep(_Step):
    kind: Literal["choice"] = "choice"
    when: tuple[Case, ...] = Field(min_length=1)
    else_: tuple[Step, ...] = Field(default=(), alias="else")


class ParallelStep(_Step):
    kind: Literal["parallel"] = "parallel"
    branches: tuple[tuple[Step, ...], ...] = Field(min_length=1)


class PhaseStep(_Step):
    kind: Literal["phase"] = "phase"
    title: str
    steps: tuple[Step, ...] = Field(min_length=1)


class ConsultStep(_Step):
    kind: Literal["consult"] = "consult"
    ally: str = Field(min_length=1)
    deadline: Duration


class NegotiateStep(_Step):
    kind: Literal["negotiate"] = "negotiate"
    track: str = Field(description="the id of a track in the plan's tracks")


class LevelsStep(_Step):
    kind: Literal["levels"] = "levels"


class EscalateStep(_Step):
    kind: Literal["escalate"] = "escalate"


class EndStep(_Step):
    kind: Literal["end"] = "end"
    outcome: Outcome
    rung: str = Field(default="end", description="for military action: the rung it is taken at")
    summary: str = Field(min_length=1)


Step = Annotated[
    ActionStep
    | WaitStep
    | ChoiceStep
    | ParallelStep
    | PhaseStep
    | ConsultStep
    | NegotiateStep
    | LevelsStep
    | EscalateStep
    | EndStep,
    Field(discriminator="kind"),
]

STEP_KINDS = (
    "action",
    "wait",
    "choice",
    "parallel",
    "phase",
    "consult",
    "negotiate",
    "levels",
    "escalate",
    "end",
)


@dataclass(frozen=True)
class SubSteps:
    """A sequence of steps a step holds, with where it is written (`path`, from the step) and
    what it is for: `branch` (of a parallel), `phase`, `then` or `timeout` (of a wait),
    `case` (with its `condition`) or `else` (of a choice)."""

    path: tuple[str | int, ...]
    role: Literal["branch", "phase", "then", "timeout", "case", "else"]
    steps: tuple[Step, ...]
    condition: Condition | None = None


def sub_steps(step: Step) -> list[SubSteps]:
    """The sequences a step holds: the one walker over the step tree, for every reader of it
    (the checks, the outline, the graph, `walk`)."""
    if isinstance(step, ParallelStep):
        return [SubSteps(("branches", b), "branch", branch) for b, branch in enumerate(step.branches)]
    if isinstance(step, PhaseStep):
        return [SubSteps(("steps",), "phase", step.steps)]
    if isinstance(step, WaitStep):
        return [SubSteps(("then",), "then", step.then), SubSteps(("timeout",), "timeout", step.timeout)]
    if isinstance(step, ChoiceStep):
        cases = [
            SubSteps(("when", c, "then"), "case", case.then, case.if_) for c, case in enumerate(step.when)
        ]
        return [*cases, SubSteps(("else",), "else", step.else_)]
    return []


for _model in (WaitStep, Case, ChoiceStep, ParallelStep, PhaseStep):
    _model.model_rebuild()
