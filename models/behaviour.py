"""The actors' behaviour: seeded stochastic rules that draw the world's moves.

A rule gives, for a Soviet track, an ally, or an incident, the chance that anything
happens, what happens (weighted choices), and when (uniformly between two delays after the
plan starts). Drawing is done once, before a timeline starts, with `random.Random(seed)`:
the moves drawn go into the timeline's input, so the durable run and the in-process run of
the same seed meet exactly the same moves.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.durations import Duration
from models.events import IncidentKind
from models.moves import AlliedAnswer, Incident, Move, SovietReply
from models.trusted import construct
from models.washington import to_washington

_MINUTE = timedelta(minutes=1)  # made once: a timedelta is slow to make, a product quick


class TimedRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    after: tuple[Duration, Duration] = Field(description="between these delays after the plan starts")

    def when(self, rng: random.Random, start: datetime) -> datetime:
        low, high = self.after
        minutes = round(rng.uniform(low.total_seconds(), high.total_seconds()) / 60)
        return to_washington(start + _MINUTE * minutes)


class ReplyOption(TimedRule):
    p: float = Field(gt=0, le=1, description="relative weight of this option")
    answer: Literal["accept", "reject", "counter"]
    terms: tuple[str, ...] = ()


class SovietRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    track: str
    channel: str = "cable"
    options: tuple[ReplyOption, ...] = Field(min_length=1)
    sources: tuple[str, ...] = Field(min_length=1)


class AllyRule(TimedRule):
    ally: str
    p_answer: float = Field(ge=0, le=1, description="the chance of any answer at all")
    agree: float = Field(ge=0, le=1, description="the chance the answer is agree (else refuse)")
    sources: tuple[str, ...] = Field(min_length=1)


class IncidentRule(TimedRule):
    incident: IncidentKind
    subject: str
    p: float = Field(ge=0, le=1)
    sources: tuple[str, ...] = Field(min_length=1)


class Behaviour(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    soviet: tuple[SovietRule, ...] = ()
    allies: tuple[AllyRule, ...] = ()
    incidents: tuple[IncidentRule, ...] = ()

    def draw(self, seed: int, start: datetime) -> tuple[Move, ...]:
        """The moves this behaviour makes for a seed: the same seed, the same moves.

        Built from the rules' validated values (see models.trusted): an ensemble draws
        thousands of these."""
        rng = random.Random(seed)
        moves: list[Move] = []
        for rule in self.soviet:
            option = rng.choices(rule.options, weights=[o.p for o in rule.options])[0]
            moves.append(
                construct(
                    SovietReply,
                    at=option.when(rng, start),
                    track=rule.track,
                    answer=option.answer,
                    terms=option.terms,
                    channel=rule.channel,
                    sources=rule.sources,
                    summary=f"(seed {seed}) The Soviet side answers on the {rule.track} track: "
                    f"{option.answer}.",
                )
            )
        for ally in self.allies:
            answers, agrees, at = rng.random(), rng.random(), ally.when(rng, start)
            if answers < ally.p_answer:
                moves.append(
                    construct(
                        AlliedAnswer,
                        at=at,
                        ally=ally.ally,
                        answer="agree" if agrees < ally.agree else "refuse",
                        sources=ally.sources,
                    )
                )
        for incident in self.incidents:
            happens, at = rng.random(), incident.when(rng, start)
            if happens < incident.p:
                moves.append(
                    construct(
                        Incident,
                        at=at,
                        incident=incident.incident,
                        subject=incident.subject,
                        sources=incident.sources,
                    )
                )
        return tuple(sorted(moves, key=lambda m: (m.at.timestamp() if m.at else 0.0, m.kind)))
