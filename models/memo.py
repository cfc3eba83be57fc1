"""The memo's plan (FRUS 1961-63 v11 d89) carried out, paragraph by paragraph.

The generic kinds of step are the interpreter's (models.interpreter); here are the memo's
own: `consult` (7a), `negotiate` (6), `levels` (4) and `escalate` (1b, 2b). Whatever the
plan does is a plan's action (`provenance: plan`), never the record: the memo was a
proposal. The plan acts for Washington and reads the world as Washington knew it
(`Scheduler.known_state`), so it answers nothing before Washington has heard of it.

Each process below is one part of the plan and tags what it does with the paragraph it
carries out (`step`): set the stage (5a, 5b), consult the allies (7a), then open
negotiations at the highest level (7b, 4) on tracks kept apart (6, 6a-6d), and escalate
if they fail or the plan's deadline passes (1b, 2b), while the Cuba track stays open
(the two backgrounds of paragraph 1 coexist). The rules of paragraph 3 are enforced:
an allied interest is not traded away (3b) and allies are consulted before a deal
touches their interests (3a); breaking them is recorded and costs alliance cohesion.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime

from models import events as ev
from models.engine import Command, Post, Process, Receive, Received, Scheduler, Sleep
from models.interpreter import CLOSE, US, PlanInterpreter
from models.moves import AlliedAnswer, SovietReply
from models.plan import PlanDefinition, Track
from models.sides import Side
from models.steps import ConsultStep, EscalateStep, LevelsStep, NegotiateStep, Step
from models.trusted import construct_from

MEMO = ("FRUS 1961-63 v11 d89",)
OTHER_SIDE: dict[Side, Side] = {"washington": "moscow", "moscow": "washington", "havana": "washington"}


def mailbox_of_track(track: str) -> str:
    return f"track:{track}"


def mailbox_of_ally(ally: str) -> str:
    return f"ally:{ally}"


class MemoPlan(PlanInterpreter):
    """The memo's plan: the generic interpreter, and the memo's own kinds of step."""

    sources = MEMO

    def __init__(self, plan: PlanDefinition, world: Scheduler) -> None:
        super().__init__(plan, world)
        self._messages = 0
        self._sent: dict[str, set[str]] = {}  # the plan's messages by track: what a reply may answer
        self._tracks = {track.id: track for track in plan.tracks}  # by id, as steps name them

    def perform_own(self, step: Step) -> Process:
        # By exact class, as PlanInterpreter.perform.
        if type(step) is ConsultStep:
            return self.consult(step)
        if type(step) is NegotiateStep:
            return self.negotiate(self._tracks[step.track])
        if type(step) is LevelsStep:
            return self.keep_level(self.deadline)
        if type(step) is EscalateStep:
            return self.escalate_if_needed(self.deadline)
        return self._nothing()  # as it always did for a kind it does not know

    @staticmethod
    def _nothing() -> Process:
        return
        yield  # a generator, like every process

    def closing(self) -> Process:
        """The plan has ended in force: every negotiation track still open is abandoned."""
        for track in self.plan.tracks:
            yield Post(mailbox_of_track(track.id), CLOSE)

    # --- 7a: allied consultation ----------------------------------------------------------

    def consult(self, step: ConsultStep) -> Process:
        ally = step.ally
        deadline = self.after(step.deadline)
        yield self._event(
            ev.ConsultationOpened,
            "7a",
            f"The United States consults {ally} before any negotiation with the Soviets.",
            ally=ally,
            deadline=deadline,
        )
        answer = yield Receive((mailbox_of_ally(ally),), deadline)
        result = answer.answer if type(answer) is AlliedAnswer else "no_answer"
        summary = (
            f"No answer from {ally} by the consultation deadline; the plan moves on."
            if result == "no_answer"
            else f"Consultation with {ally} closes: {result.replace('_', ' ')}."
        )
        yield self._event(ev.ConsultationClosed, "7a", summary, ally=ally, result=result)

    # --- 6: negotiation tracks ---------------------------------------------------------------

    def send(
        self, track: Track, terms: tuple[str, ...], what: str, answering: tuple[str, ...] | None = None
    ) -> ev.MessageSent:
        self._messages += 1
        message_id = f"plan-{track.id}-{self._messages}"
        # Under rules 3 a message names its recipient's side, its track and what it answers.
        addressed: dict[str, object] = (
            {"to": OTHER_SIDE[self.plan.side], "track": track.id, "in_reply_to": answering}
            if self.version >= ev.KNOWLEDGE_BY_CHANNELS
            else {}
        )
        self._sent.setdefault(track.id, set()).add(message_id)
        # Yielded as it is, to be emitted (see models.engine.Command).
        return construct_from(
            ev.MessageSent,
            {
                "seq": self.world.seq + 1,  # emitted at once, like _event's
                "at": self.now,
                "provenance": "plan",
                "step": track.step,
                "actor": US,
                "summary": f"{what} on the {track.title} track: {', '.join(terms) or 'no terms'}.",
                "sources": MEMO,
                "message_id": message_id,
                "channel": track.channel,
                "sender": "President Kennedy",
                "recipient": "Chairman Khrushchev",
                "arrives_at": self.after(self.plan.transit[track.channel]),
                "terms": terms,
                **self.stamp,
                **addressed,
            },
        )

    def negotiate(self, track: Track) -> Process:
        closes_at = self.after(track.deadline)
        yield self._event(
            ev.TrackOpened,
            track.step,
            f"The {track.title} track opens, kept apart from the other subjects.",
            track=track.id,
            title=track.title,
            deadline=closes_at,
        )
        yield self.send(track, track.proposal, "The United States proposes")
        on_table = track.proposal
        mailbox = (mailbox_of_track(track.id),)
        while True:
            reply = yield Receive(mailbox, closes_at)
            if reply is None or reply == CLOSE:
                reason = "lapsed" if reply is None else "abandoned"
                summary = (
                    f"The {track.title} track lapses without agreement."
                    if reason == "lapsed"
                    else f"The {track.title} track is abandoned: force has taken over."
                )
                yield self._event(ev.TrackClosed, track.step, summary, track=track.id, reason=reason)
                return
            if type(reply) is not SovietReply:  # moves are never subclassed
                continue
            if self.version >= ev.KNOWLEDGE_BY_CHANNELS and not self._answers_plan(track, reply):
                continue  # on the record, but an answer to something else than the plan
            if reply.answer == "reject":
                yield self._event(
                    ev.TrackClosed,
                    track.step,
                    f"The Soviet side rejects the {track.title} proposals; the track fails.",
                    track=track.id,
                    reason="rejected",
                )
                if track.settles_crisis:
                    yield Post("escalation", "negotiations_failed")
                return
            if reply.answer == "counter":
                on_table = yield from self.answer_counter(track, reply.terms, reply.message_id)
                continue
            # Acceptance is of the position last put on the table by the United States.
            terms = on_table
            yield from self.check_allies(track, terms)
            yield self._event(
                ev.TrackSettled,
                track.step,
                f"Agreement on the {track.title} track.",
                track=track.id,
                terms=terms,
            )
            if track.settles_crisis:
                yield self._event(
                    ev.AgreementReached,
                    track.step,
                    "The Soviet Union agrees to remove its offensive weapons from Cuba: the crisis is "
                    "settled by negotiation.",
                    terms=terms,
                    outcome="negotiated_withdrawal",
                    **self.public(),
                )
            return

    def _answers_plan(self, track: Track, reply: SovietReply) -> bool:
        """Whether a reply answers one of the plan's own messages on its track: a reply of the
        record to another message is never taken as an answer to the plan."""
        return bool(self._sent.get(track.id, set()).intersection(reply.in_reply_to or ()))

    def answer_counter(
        self, track: Track, terms: tuple[str, ...], counter: str | None = None
    ) -> Generator[Command, Received, tuple[str, ...]]:
        """3b: a counter-proposal is taken only in so far as it trades no allied interest."""
        allied = tuple(t for t in terms if t in self.plan.allied_interests)
        if allied and not self.plan.trade_allied_interests:
            accepted = tuple(t for t in terms if t not in allied)
            step = "3b"
            summary = (
                f"Washington answers the counter-proposal on the {track.title} track, declining to trade "
                f"{', '.join(allied)}: no pre-crisis allied interest is traded for the removal."
            )
        else:
            accepted, step = terms, track.step
            summary = f"Washington accepts the Soviet counter-proposal on the {track.title} track."
        yield self._event(
            ev.CounterProposalAnswered,
            step,
            summary,
            track=track.id,
            accepted_terms=accepted,
            declined_terms=tuple(t for t in terms if t not in accepted),
        )
        yield self.send(track, accepted, "Washington replies", (counter,) if counter is not None else None)
        return accepted

    def check_allies(self, track: Track, terms: tuple[str, ...]) -> Process:
        """Record every way a deal breaks paragraph 3; each breach costs alliance cohesion."""
        for term in terms:
            ally = self.plan.allied_interests.get(term)
            if ally is None:
                continue
            breaches = [("3b", f"The deal trades a pre-crisis interest of {ally} ({term}) for the removal.")]
            if self.world.known_state().allies.get(ally) in (None, "consulted"):
                breaches.append(
                    ("3a", f"The deal touches the interests of {ally} before {ally} has been consulted.")
                )
            for rule, summary in breaches:
                yield self._event(
                    ev.ConstraintBreached,
                    rule,
                    summary,
                    rule=rule,
                    ally=ally,
                    terms=(term,),
                    cohesion_cost=self.plan.cohesion_cost,
                )

    def keep_level(self, until: datetime) -> Process:
        """4: summit first; if the Soviets refuse a level, fall back to the next one."""
        for level in self.plan.levels[1:]:
            reply = yield Receive((mailbox_of_track("level"),), until)
            if (
                not isinstance(reply, SovietReply)
                or reply.answer != "reject"
                or self.world.known_state().outcome
            ):
                return
            yield self._event(
                ev.NegotiationLevelChanged,
                "4",
                f"The Soviets decline talks at that level; negotiations continue at the "
                f"{level.replace('_', ' ')} level.",
                level=level,
                **self.public(),
            )

    # --- 1b/2b: escalation --------------------------------------------------------------------

    def escalate_if_needed(self, deadline: datetime) -> Process:
        trigger = yield Receive(("escalation",), deadline)
        if self.world.known_state().outcome is not None:
            return
        failed = trigger == "negotiations_failed"
        yield self._event(
            ev.PlanDeadlinePassed,
            "1b",
            "Negotiations have failed: the plan turns to pressure."
            if failed
            else "The plan's deadline passes with the weapons still in Cuba: speed is of the essence.",
            reason="negotiations_failed" if failed else "deadline",
        )
        for index, rung in enumerate(self.plan.ladder):
            if index:
                yield Sleep(self.after(rung.after))
                if self.world.known_state().outcome == "negotiated_withdrawal" or self.ended:
                    return  # the Cuba track settled under pressure (paragraph 1: both at once)
            label = rung.rung.replace("_", " ")
            if rung.military_action:
                first = self.world.known_state().outcome is None
                yield self._event(
                    ev.MilitaryActionOrdered,
                    "2b",
                    f"The President orders military action to remove the weapons: {label}.",
                    rung=rung.rung,
                    actor="President Kennedy",
                    **self.public(),
                )
                if first:
                    for track in self.plan.tracks:
                        yield Post(mailbox_of_track(track.id), CLOSE)
                continue
            yield self._event(
                ev.EscalationRungReached,
                "2b",
                f"US pressure on Cuba rises: {label}.",
                rung=rung.rung,
                **self.public(),
            )
