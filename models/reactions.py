"""A behaviour played by the engine (its rules 3): each side reacts to what reaches it.

A behaviour's rule says what a side does when something reaches it, with weighted choices
and a delay drawn from the receipt, never from the plan's start:

- the Soviet side answers each message on a track when it has reached Moscow (a proposal,
  a reply to its counter-proposal), naming the message it answers;
- an ally answers the consultation opened with it, or not at all;
- an incident happens, or not, at a delay from the behaviour's start.

With nothing received, a side does nothing: it cannot answer what never reached it. What
it draws is then a move like any other, taken only if the world's rules admit it when it
comes due (models.causality): a drawn acceptance that military action has overtaken is
recorded as refused, and counted.

The draws come from one `random.Random(seed)`, in the engine's own order of events, which
depends on nothing but the timeline's inputs: the same seed makes the same moves on either
runtime (the differential test holds the two logs byte-identical).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import datetime, timedelta
from itertools import accumulate

from models.behaviour import AllyRule, Behaviour, IncidentRule, SovietRule
from models.engine import Act, Process, Receive, Scheduler, Sleep
from models.events import ConsultationOpened, DomainEvent, MessageDelivered, MessageSent, known_at
from models.moves import AlliedAnswer, Incident, SovietReply
from models.sides import LEARNED_FIELDS
from models.trusted import construct
from models.washington import to_washington

_MINUTE = timedelta(minutes=1)


def governed(behaviour: Behaviour) -> frozenset[str]:
    """The kinds of move a behaviour plays (`soviet_reply`, `allied_answer`, `incident:KIND`):
    from where it starts, the script's moves of those kinds stop. The script's other acts
    go on while what they depend on holds."""
    played: set[str] = set()
    if behaviour.soviet:
        played.add("soviet_reply")
    if behaviour.allies:
        played.add("allied_answer")
    played.update(f"incident:{rule.incident}" for rule in behaviour.incidents)
    return frozenset(played)


def play(
    world: Scheduler,
    behaviour: Behaviour,
    seed: int,
    start: datetime,
    until: datetime | None = None,
    taking_over: bool = False,
) -> None:
    """Start the behaviour's processes on the engine, from `start` (the plan's start, or a
    branch's fork): from then, it plays the sides it governs, until `until` (where a branch's
    behaviour takes over from it), if given. One `taking_over` at a fork acts no sooner than
    a minute after it: what happened at the fork instant itself is the parent's."""
    reactions = _Reactions(world, random.Random(seed), seed, start, until)
    if taking_over:
        reactions.earliest = to_washington(start + _MINUTE)
    world.play_from(start, governed(behaviour))
    world.listen(MessageDelivered, reactions.delivered)
    world.listen(ConsultationOpened, reactions.consulted)
    for soviet in behaviour.soviet:
        world.start(reactions.answer_track(soviet), at=start)
    for ally in behaviour.allies:
        world.start(reactions.answer_consultation(ally), at=start)
    for incident in behaviour.incidents:
        world.start(reactions.incident(incident), at=start)


def _received(player: int, side: str, track: str) -> str:
    return f"behaviour {player}: received:{side}:{track}"


def _consulted(player: int, ally: str) -> str:
    return f"behaviour {player}: consulted:{ally}"


class _Reactions:
    def __init__(
        self, world: Scheduler, rng: random.Random, seed: int, start: datetime, until: datetime | None
    ) -> None:
        self.world = world
        self.rng = rng
        self.seed = seed
        self.start = start
        self.earliest = start  # no act of this behaviour comes sooner
        self.until = until
        # Each behaviour on a timeline has mailboxes of its own: one that takes over from a
        # fork must not take what the one before it was waiting for.
        self.player = world.players = world.players + 1

    def _over(self) -> bool:
        """Whether another behaviour has taken over by now (a branch's, from its fork)."""
        return self.until is not None and self.world.now > self.until

    def _dealt_with(self, message_id: str, track: str) -> bool:
        """Whether Moscow has answered since this message reached it: what its side had
        answered, or passed over, before this behaviour took over is not answered again."""
        message = self.world.message(message_id)
        received = known_at(message, "moscow") if message is not None else None
        if received is None:
            return True
        return any(
            reply.side == "moscow" and reply.at >= received
            for reply in self.world.messages_to("washington", track)
        )

    # --- what reaches whom ------------------------------------------------------------------

    def delivered(self, event: DomainEvent) -> None:
        """A message reached its recipient: the rule for its side and track may answer it."""
        assert isinstance(event, MessageDelivered)
        message = self.world.message(event.message_id)
        if type(message) is MessageSent and message.to is not None and message.track is not None:
            self.world.post(_received(self.player, message.to, message.track), message.message_id)

    def consulted(self, event: DomainEvent) -> None:
        assert isinstance(event, ConsultationOpened)
        self.world.post(_consulted(self.player, event.ally), event.ally)

    # --- the rules --------------------------------------------------------------------------

    def _until(self, instant: datetime) -> Sleep:
        """Sleep until `instant`, or until this behaviour may first act if that is later."""
        return Sleep(to_washington(max(instant, self.earliest)))

    def _after(self, low: timedelta, high: timedelta) -> timedelta:
        minutes = round(self.rng.uniform(low.total_seconds(), high.total_seconds()) / 60)
        return _MINUTE * minutes

    def answer_track(self, rule: SovietRule) -> Process:
        """Moscow answers each message on the rule's track as it reaches Moscow."""
        first = (rule.options, list(accumulate(o.p for o in rule.options)))
        later = (rule.later, list(accumulate(o.p for o in rule.later))) if rule.later else first
        answering = first
        while True:
            received = yield Receive((_received(self.player, "moscow", rule.track),), None)
            if not isinstance(received, str) or self._over():
                return
            if self._dealt_with(received, rule.track):
                continue
            known = self.world.view("moscow")
            done = known.soviet_answers.get(rule.track) in ("accept", "reject")
            if done or known.outcome == "military_action":
                return  # it has answered for good, or force has ended the talks as Moscow knows
            options, cumulative = answering
            answering = later
            chosen = bisect_right(cumulative, self.rng.random() * cumulative[-1], 0, len(options) - 1)
            option = options[chosen]
            yield self._until(self.world.now + self._after(*option.after))
            if self._over():
                return
            yield Act(
                construct(
                    SovietReply,
                    at=self.world.now,
                    track=rule.track,
                    answer=option.answer,
                    terms=option.terms,
                    channel=rule.channel,
                    in_reply_to=(received,),
                    sources=rule.sources,
                    summary=option.summary
                    or f"(seed {self.seed}) The Soviet side answers {received} on the {rule.track} "
                    f"track: {option.answer}.",
                )
            )

    def answer_consultation(self, rule: AllyRule) -> Process:
        """An ally answers the consultation opened with it, or never does."""
        opened = yield Receive((_consulted(self.player, rule.ally),), None)
        if opened is None:
            return
        answers, agrees = self.rng.random(), self.rng.random()
        delay = self._after(*rule.after)
        if answers >= rule.p_answer:
            return  # it keeps its counsel
        yield self._until(self.world.now + delay)
        if self._over():
            return
        yield Act(
            construct(
                AlliedAnswer,
                at=self.world.now,
                ally=rule.ally,
                answer="agree" if agrees < rule.agree else "refuse",
                sources=rule.sources,
                summary=rule.summary
                or f"(seed {self.seed}) {rule.ally} answers the consultation: "
                f"{'agree' if agrees < rule.agree else 'refuse'}.",
            )
        )

    def incident(self, rule: IncidentRule) -> Process:
        """An incident happens, or not, at a delay from the behaviour's start."""
        happens = self.rng.random()
        delay = self._after(*rule.after)
        if happens >= rule.p:
            return
        yield self._until(self.start + delay)
        if self._over():
            return
        now = self.world.now
        learned = {
            LEARNED_FIELDS[side]: to_washington(now + after) for side, after in rule.learned_after.items()
        }
        yield Act(
            construct(
                Incident,
                at=now,
                incident=rule.incident,
                subject=rule.subject,
                side=rule.side,
                public=rule.public,
                sources=rule.sources,
                **learned,
            )
        )
