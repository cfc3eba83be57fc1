"""The actors' behaviour: seeded stochastic rules that draw the world's moves.

A rule gives, for a Soviet track, an ally, or an incident, the chance that anything
happens, what happens (weighted choices), and when (uniformly between two delays).

Under the engine's rules 3 a behaviour reacts, played by the engine itself
(models.reactions): the delay of a Soviet answer is from the receipt of the message it
answers, an ally's from the opening of its consultation, an incident's from the
behaviour's start. Under the rules before, the moves were drawn once, before a timeline
started, with delays from the plan's start (`draw`), and went into the timeline's input:
a run started so goes on, and replays, as it began.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from models.durations import Duration
from models.events import IncidentKind, WashingtonTime
from models.moves import AlliedAnswer, Incident, Move, SovietReply
from models.sides import Side
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
    summary: str | None = Field(default=None, description="what the answer says, in words (rules 3)")


class SovietRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    track: str
    channel: str = "cable"
    options: tuple[ReplyOption, ...] = Field(
        min_length=1, description="how the first message on the track that reaches Moscow is answered"
    )
    later: tuple[ReplyOption, ...] = Field(
        default=(), description="how each later one is answered (rules 3); by default as the first"
    )
    sources: tuple[str, ...] = Field(min_length=1)


class AllyRule(TimedRule):
    ally: str
    p_answer: float = Field(ge=0, le=1, description="the chance of any answer at all")
    agree: float = Field(ge=0, le=1, description="the chance the answer is agree (else refuse)")
    sources: tuple[str, ...] = Field(min_length=1)
    summary: str | None = Field(default=None, description="what the answer says, in words (rules 3)")


class IncidentRule(TimedRule):
    incident: IncidentKind
    subject: str
    p: float = Field(ge=0, le=1)
    sources: tuple[str, ...] = Field(min_length=1)
    side: Side | None = Field(default=None, description="whose act the incident is (engine rules 3)")
    learned_after: dict[Side, Duration] = Field(
        default_factory=dict, description="when each other side learns of it, after it happens (rules 3)"
    )
    public: bool | None = Field(default=None, description="announced as it happened: every side knows")


class Behaviour(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    soviet: tuple[SovietRule, ...] = ()
    allies: tuple[AllyRule, ...] = ()
    incidents: tuple[IncidentRule, ...] = ()

    def draw(self, seed: int, start: datetime) -> tuple[Move, ...]:
        """The moves this behaviour makes for a seed: the same seed, the same moves."""
        return self.drawer(start)(seed)

    def drawer(self, start: datetime) -> Callable[[int], tuple[Move, ...]]:
        """`draw` for a plan's start, with what every seed has in common worked out once:
        an ensemble draws thousands of members' moves from the same rules.

        The numbers drawn, and the order they are drawn in, are `draw`'s always: `rng.uniform(a,
        b)` is `a + (b - a) * rng.random()`, and `rng.choices` with weights sums them up into
        cumulative weights, draws one number and bisects them, as done here. The moves are
        built from the rules' validated values (see models.trusted)."""

        def span(rule: TimedRule) -> tuple[float, float]:
            low, high = rule.after
            return low.total_seconds(), high.total_seconds() - low.total_seconds()

        soviet = [
            (
                rule,
                rule.options,
                cumulative := list(accumulate(o.p for o in rule.options)),
                cumulative[-1] + 0.0,
                len(cumulative) - 1,
                [span(o) for o in rule.options],
            )
            for rule in self.soviet
        ]
        allies = [(ally, *span(ally)) for ally in self.allies]
        incidents = [(incident, *span(incident)) for incident in self.incidents]
        instants: dict[int, datetime] = {}  # minutes after the start -> the instant, in Washington

        def minutes(rng: random.Random, low: float, width: float) -> int:
            return round((low + width * rng.random()) / 60)

        def instant(after: int) -> datetime:
            found = instants.get(after)
            if found is None:
                found = instants[after] = to_washington(start + _MINUTE * after)
            return found

        def draw(seed: int) -> tuple[Move, ...]:
            rng = random.Random(seed)
            # (minutes after the start, kind, order drawn, move): sorted as by (instant, kind),
            # stably, and never down to the moves themselves.
            moves: list[tuple[int, str, int, Move]] = []
            for rule, options, cum_weights, total, last, spans in soviet:
                # What rng.choices(options, cum_weights=cum_weights) picks, from the same
                # one number drawn, without its checks of the weights made per call.
                chosen = bisect_right(cum_weights, rng.random() * total, 0, last)
                option = options[chosen]
                after = minutes(rng, *spans[chosen])
                reply = construct(
                    SovietReply,
                    at=instant(after),
                    track=rule.track,
                    answer=option.answer,
                    terms=option.terms,
                    channel=rule.channel,
                    sources=rule.sources,
                    summary=f"(seed {seed}) The Soviet side answers on the {rule.track} track: "
                    f"{option.answer}.",
                )
                moves.append((after, "soviet_reply", len(moves), reply))
            for ally, low, width in allies:
                answers, agrees, after = rng.random(), rng.random(), minutes(rng, low, width)
                if answers < ally.p_answer:
                    answer = construct(
                        AlliedAnswer,
                        at=instant(after),
                        ally=ally.ally,
                        answer="agree" if agrees < ally.agree else "refuse",
                        sources=ally.sources,
                    )
                    moves.append((after, "allied_answer", len(moves), answer))
            for chance, low, width in incidents:
                happens, after = rng.random(), minutes(rng, low, width)
                if happens < chance.p:
                    incident = construct(
                        Incident,
                        at=instant(after),
                        incident=chance.incident,
                        subject=chance.subject,
                        sources=chance.sources,
                    )
                    moves.append((after, "incident", len(moves), incident))
            moves.sort()
            return tuple(move for *_, move in moves)

        return draw


class Takeover(BaseModel):
    """A behaviour that plays from an instant on (a branch's, from its fork): it takes over
    from whatever played its kinds of move before (engine rules 3)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    behaviour: Behaviour
    at: WashingtonTime = Field(description="where it takes over")
    seed: int = Field(default=0, description="the seed it plays with")
    name: str | None = Field(default=None, description="its name or file, for views such as `tree`")
