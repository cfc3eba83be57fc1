"""A timeline definition: the scripted world of one timeline, as a designer writes it."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.behaviour import Behaviour, Takeover
from models.events import DomainEvent, JupiterStatus, WashingtonTime
from models.moves import Move, MoveProvenance
from models.plan import PlanDefinition
from models.washington import to_washington

TIMELINE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


_JUPITERS_IN_1962: dict[str, JupiterStatus] = {"Turkey": "deployed", "Italy": "deployed"}


class InitialWorld(BaseModel):
    """The world before the first event: what the fold starts from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    defcon: dict[str, int] = Field(default_factory=lambda: {"SAC": 5, "WORLDWIDE": 5})
    jupiters: dict[str, JupiterStatus] = Field(default_factory=lambda: dict(_JUPITERS_IN_1962))

    @model_validator(mode="after")
    def _levels_in_range(self) -> InitialWorld:
        for command, level in self.defcon.items():
            if not 1 <= level <= 5:
                raise ValueError(f"defcon for {command} must be 1..5, not {level}")
        return self


class TimelineDefinition(BaseModel):
    """A named, versioned timeline: its starting world and its scripted events."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=TIMELINE_ID.pattern)
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    starts_at: WashingtonTime
    provenance: MoveProvenance = Field(
        default="counterfactual",
        description="what the file's scripted events and moves are, where one does not say itself",
    )
    initial: InitialWorld = Field(default_factory=InitialWorld)
    events: tuple[DomainEvent, ...] = ()
    moves: tuple[Move, ...] = Field(default=(), description="the world's moves, at their instants")
    plan: PlanDefinition | None = Field(default=None, description="the plan the timeline runs, if any")
    record: str | None = Field(
        default=None,
        description="the record timeline whose events up to the plan's start this one begins with",
    )
    seed: int | None = Field(default=None, description="the seed the plan's behaviour was drawn with")
    behaviour: Behaviour | None = Field(
        default=None,
        description="a behaviour the timeline's own file gives, played from its plan's start with `seed` "
        "(engine rules 3), in place of the plan's own",
    )
    takeovers: tuple[Takeover, ...] = Field(
        default=(), description="behaviours that take over from later instants: a branch's, from its fork"
    )
    variant: str | None = Field(default=None, description="the plan a branch runs from its fork, by name")
    interjections: tuple[Move, ...] = Field(
        default=(), description="analysts' moves at their instants, each taken after all else due then"
    )
    parent: str | None = Field(default=None, description="the timeline this one was forked from")
    root: str | None = Field(default=None, description="the first timeline of the lineage")
    fork_seq: int | None = Field(default=None, description="the parent's last event kept by the branch")

    @property
    def is_record(self) -> bool:
        """The record alone: no plan, no analyst, nothing that is not history."""
        return (
            self.plan is None
            and not self.interjections
            and all(item.provenance == "historical" for item in (*self.events, *self.moves))
        )

    @property
    def played_by(self) -> str | None:
        """The behaviours that took over in it, in words, for `tree` and `status`:
        'memo-uncertain (seed 3) from 27 Oct 1962 20:30 EDT'."""
        said = [
            f"{t.name or 'a behaviour'} (seed {t.seed}) from {to_washington(t.at):%d %b %Y %H:%M %Z}"
            for t in self.takeovers
        ]
        return "; ".join(said) or None

    @model_validator(mode="after")
    def _has_a_course(self) -> TimelineDefinition:
        # Checked here rather than with min_length, which pydantic also reports when
        # an event is merely invalid, doubling the error a designer sees.
        if not self.events and self.plan is None:
            raise ValueError("a timeline needs at least one event or a plan")
        if any(event.provenance == "derived" for event in self.events):
            raise ValueError("a derived event is the engine's bookkeeping, not a scripted event")
        for item in (*self.events, *self.moves):
            if item.at is None:
                raise ValueError("every scripted move needs its instant (at)")
            if item.at < self.starts_at:
                raise ValueError(f"an event or move at {item.at.isoformat()} comes before starts_at")
        return self
