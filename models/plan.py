"""The memo's plan as data: its allies, tracks, deadlines, channels and escalation ladder.

`timelines/plans/memo.yaml` states the plan of FRUS 1961-63 v11 d89 with these
parameters; a counterfactual changes a parameter (a hotline makes messages take minutes,
a halved deadline) without touching the engine (models.memo) that carries it out.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from models.behaviour import Behaviour
from models.durations import Duration
from models.events import DomainEvent, WashingtonTime
from models.moves import Move
from models.sides import Side
from models.steps import ConsultStep, Step, sub_steps


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Ally(_Frozen):
    """An ally or forum consulted under 7a (a `consult` step), and how long it is given."""

    name: str = Field(min_length=1)
    deadline: Duration


class Track(_Frozen):
    """A negotiation track of paragraph 6, kept apart from the others."""

    id: str = Field(min_length=1)
    step: str = Field(min_length=1, description="the memo paragraph, e.g. 6, 6a.iii, 6b")
    title: str
    channel: str
    proposal: tuple[str, ...] = Field(min_length=1, description="the terms the United States proposes")
    deadline: Duration
    settles_crisis: bool = Field(default=False, description="the Cuba track: its settlement ends the crisis")


class Rung(_Frozen):
    """A rung of the escalation ladder of 1b/2b, reached `after` the previous one."""

    rung: str
    after: Duration
    military_action: bool = False


class PlanDefinition(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    version: int = Field(ge=1)
    title: str
    description: str
    sources: tuple[str, ...] = Field(min_length=1)
    starts_at: WashingtonTime
    deadline: Duration = Field(description="after it, escalate: 'speed is of the essence' (7)")
    levels: tuple[str, ...] = Field(min_length=1, description="summit first, then the fallbacks (4)")
    tracks: tuple[Track, ...] = Field(min_length=1)
    transit: dict[str, Duration] = Field(description="how long a message takes, by channel")
    ladder: tuple[Rung, ...] = Field(min_length=1)
    allied_interests: dict[str, str] = Field(
        default_factory=dict, description="term -> the ally whose pre-crisis interest it touches (3b)"
    )
    trade_allied_interests: bool = Field(
        default=False, description="accept terms that trade an allied interest (breaks 3b)"
    )
    cohesion_cost: float = Field(default=0.25, ge=0, le=1)
    side: Side = Field(default="washington", description="the side the plan acts for, and knows as")
    steps: tuple[Step, ...] = Field(description="what the plan does, in order")
    departs_from: tuple[str, ...] = Field(default=(), description="the memo paragraphs a variant changes")
    moves: tuple[Move, ...] = Field(default=(), description="scripted moves of the world, at their instants")
    behaviour: Behaviour | None = Field(default=None, description="seeded stochastic moves of the world")
    _performed: dict[str, DomainEvent] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> PlanDefinition:
        ids = [t.id for t in self.tracks]
        if len(set(ids)) != len(ids):
            raise ValueError("track ids must be unique")
        if not self.steps:
            raise ValueError("steps: a plan needs at least one step")
        if sum(t.settles_crisis for t in self.tracks) != 1:
            raise ValueError("exactly one track settles the crisis")
        for track in self.tracks:
            if track.channel not in self.transit:
                raise ValueError(f"track {track.id}: no transit time for channel {track.channel!r}")
        if not any(r.military_action for r in self.ladder):
            raise ValueError("the ladder needs a rung with military_action")
        return self

    @property
    def performed_actions(self) -> dict[str, DomainEvent]:
        """The event each action step of this plan recorded the first time it was performed,
        by step id (unique in a plan): an ensemble performs the same steps thousands of times,
        so they are validated once per plan, and the cache goes with the plan."""
        return self._performed

    @property
    def crisis_track(self) -> Track:
        return next(t for t in self.tracks if t.settles_crisis)

    def track(self, track_id: str) -> Track:
        return next(t for t in self.tracks if t.id == track_id)

    @property
    def allies(self) -> tuple[Ally, ...]:
        """Every ally or forum the plan consults, in the order of its steps."""
        return tuple(
            Ally(name=s.ally, deadline=s.deadline) for s in walk(self.steps) if isinstance(s, ConsultStep)
        )


def walk(steps: tuple[Step, ...]) -> Iterator[Step]:
    """Every step of a plan, depth first, in the order they are written."""
    for step in steps:
        yield step
        for held in sub_steps(step):
            yield from walk(held.steps)
