"""The memo's plan as data: its allies, tracks, deadlines, channels and escalation ladder.

`timelines/plans/memo.yaml` states the plan of FRUS 1961-63 v11 d89 with these
parameters; a counterfactual changes a parameter (a hotline makes messages take minutes,
a halved deadline) without touching the engine (models.memo) that carries it out.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from models.events import WashingtonTime

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _duration(value: object) -> object:
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration such as 10m, 8h, 3d")
        return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    return value


def format_duration(value: timedelta) -> str:
    """A duration as a plan file writes it: 8h, 3d, 10m."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[timedelta, BeforeValidator(_duration), PlainSerializer(format_duration, return_type=str)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Ally(_Frozen):
    """An ally or forum consulted under 7a, and how long the plan waits for its answer."""

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


class SeaborneForce(_Frozen):
    name: str
    members: tuple[str, ...]


class PlanDefinition(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    version: int = Field(ge=1)
    title: str
    description: str
    sources: tuple[str, ...] = Field(min_length=1)
    starts_at: WashingtonTime
    deadline: Duration = Field(description="after it, escalate: 'speed is of the essence' (7)")
    seaborne_force: SeaborneForce
    allies: tuple[Ally, ...] = Field(min_length=1)
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

    @model_validator(mode="after")
    def _consistent(self) -> PlanDefinition:
        ids = [t.id for t in self.tracks]
        if len(set(ids)) != len(ids):
            raise ValueError("track ids must be unique")
        if sum(t.settles_crisis for t in self.tracks) != 1:
            raise ValueError("exactly one track settles the crisis")
        for track in self.tracks:
            if track.channel not in self.transit:
                raise ValueError(f"track {track.id}: no transit time for channel {track.channel!r}")
        if not any(r.military_action for r in self.ladder):
            raise ValueError("the ladder needs a rung with military_action")
        return self

    @property
    def crisis_track(self) -> Track:
        return next(t for t in self.tracks if t.settles_crisis)
