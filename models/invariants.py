"""Invariants of the world: what no timeline may ever do, whatever its plan, moves or branches.

Each is a statement about one step of the fold (the state before, the event, the state
after), read with a ledger of what the log had said up to then (the messages sent, when
each reached whom, the consultations, the force used). They hold of the record, and the
tests check that they hold of every shipped timeline and variant, of thousands of random
branches of them, and of every member of large ensembles (tests/test_invariants.py): a
counterfactual that breaks one could not have happened.

Causality (events of version 3, which the engine's rules 3 write): every act answers what
its actor knew and comes after its side received it; nothing is known to a side before a
channel brought it; no answer on a track its side knew closed; an ally answers only an open
consultation, once; a settlement needs the accepted proposal delivered; nothing negotiated
after military action; and at the end of a timeline its state is coherent with its outcome
(`end_violations`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from models import events as ev
from models.events import KNOWLEDGE_BY_CHANNELS, known_at
from models.sides import SIDES, Side
from models.state import WorldState, apply


@dataclass
class Ledger:
    """What the log had said before the event at hand."""

    messages: dict[str, ev.DomainEvent] = field(default_factory=dict)  # by id: sent, or a reply given
    answers: dict[str, set[str]] = field(default_factory=dict)  # ally -> its answers so far
    soviet: dict[str, list[ev.SovietReplyReceived]] = field(default_factory=dict)  # track -> replies
    force: ev.DomainEvent | None = None  # the first military action

    def take(self, event: ev.DomainEvent) -> None:
        kind = type(event)
        if isinstance(event, ev.MessageSent):
            self.messages[event.message_id] = event
        elif kind is ev.SovietReplyReceived:
            assert isinstance(event, ev.SovietReplyReceived)
            if event.message_id is not None:
                self.messages[event.message_id] = event
            self.soviet.setdefault(event.track, []).append(event)
        elif kind is ev.AlliedAnswerReceived:
            assert isinstance(event, ev.AlliedAnswerReceived)
            self.answers.setdefault(event.ally, set()).add(event.answer)
        elif kind is ev.MilitaryActionOrdered and self.force is None:
            self.force = event


Invariant = Callable[[WorldState, ev.DomainEvent, WorldState, Ledger], str | None]
INVARIANTS: list[Invariant] = []


def _invariant(check: Invariant) -> Invariant:
    INVARIANTS.append(check)
    return check


def _causal(event: ev.DomainEvent) -> bool:
    return event.v >= KNOWLEDGE_BY_CHANNELS


def _knew(event: ev.DomainEvent, side: Side, by: datetime) -> bool:
    learned = known_at(event, side)
    return learned is not None and learned <= by


# --- the world --------------------------------------------------------------------------------


@_invariant
def events_come_in_order(
    before: WorldState, event: ev.DomainEvent, after: WorldState, _: Ledger
) -> str | None:
    if event.seq != before.last_seq + 1:
        return f"seq {event.seq} follows seq {before.last_seq}"
    if before.at is not None and event.at < before.at:
        return f"{event.type} at {event.at.isoformat()} comes after {before.at.isoformat()}"
    return None


@_invariant
def nothing_is_known_before_it_happens(
    before: WorldState, event: ev.DomainEvent, after: WorldState, _: Ledger
) -> str | None:
    for side in SIDES:
        learned = known_at(event, side)
        if learned is not None and learned < event.at:
            return f"{event.type} is known to {side} at {learned.isoformat()}, before it happened"
    return None


@_invariant
def defcon_stays_between_1_and_5(
    before: WorldState, event: ev.DomainEvent, after: WorldState, _: Ledger
) -> str | None:
    wrong = {command: level for command, level in after.defcon.items() if not 1 <= level <= 5}
    return f"DEFCON out of range: {wrong}" if wrong else None


@_invariant
def an_outcome_once_reached_stands(
    before: WorldState, event: ev.DomainEvent, after: WorldState, _: Ledger
) -> str | None:
    if before.outcome is not None and after.outcome != before.outcome:
        return f"the outcome {before.outcome} became {after.outcome}"
    return None


@_invariant
def nothing_is_negotiated_after_military_action(
    before: WorldState, event: ev.DomainEvent, after: WorldState, ledger: Ledger
) -> str | None:
    settles = isinstance(event, ev.AgreementReached) and event.outcome == "negotiated_withdrawal"
    settles = settles or (_causal(event) and isinstance(event, ev.TrackSettled))
    if before.outcome == "military_action" and settles:
        return "a negotiated settlement after military action had ended the crisis"
    force = ledger.force
    if (
        force is not None
        and _causal(event)
        and isinstance(event, ev.SovietReplyReceived)
        and event.answer == "accept"
        and _knew(force, "moscow", event.at)
    ):
        return f"the Soviet side accepts on the {event.track} track after it knew of military action"
    return None


@_invariant
def missiles_leave_only_when_the_crisis_is_resolved(
    before: WorldState, event: ev.DomainEvent, after: WorldState, _: Ledger
) -> str | None:
    if after.missiles in ("dismantling", "removed", "attacked") and after.outcome is None:
        return f"missiles {after.missiles} with no agreement and no military action"
    return None


@_invariant
def the_quarantine_ends_only_when_the_crisis_is_resolved(
    before: WorldState, event: ev.DomainEvent, after: WorldState, _: Ledger
) -> str | None:
    if after.quarantine == "lifted" and after.outcome is None:
        return "the quarantine lifted while the crisis is unresolved"
    return None


@_invariant
def a_message_is_delivered_only_after_it_was_sent(
    before: WorldState, event: ev.DomainEvent, after: WorldState, ledger: Ledger
) -> str | None:
    if not isinstance(event, ev.MessageDelivered):
        return None
    if _causal(event) and isinstance(ledger.messages.get(event.message_id), ev.SovietReplyReceived):
        reply = ledger.messages[event.message_id]
        return None if reply.at <= event.at else f"answer {event.message_id} delivered before it was given"
    sent = [m for m in before.messages_in_transit if m.message_id == event.message_id]
    if not sent:
        return f"message {event.message_id} delivered but never sent (or delivered twice)"
    if sent[0].sent_at > event.at:
        return f"message {event.message_id} delivered before it was sent"
    return None


@_invariant
def alliance_cohesion_stays_between_0_and_1(
    before: WorldState, event: ev.DomainEvent, after: WorldState, _: Ledger
) -> str | None:
    return None if 0 <= after.alliance_cohesion <= 1 else f"alliance cohesion {after.alliance_cohesion}"


@_invariant
def a_closed_track_stays_closed(
    before: WorldState, event: ev.DomainEvent, after: WorldState, _: Ledger
) -> str | None:
    for track, status in before.tracks.items():
        if status != "open" and after.tracks.get(track) != status:
            return f"the {track} track, {status}, became {after.tracks.get(track)}"
    return None


# --- causality (version 3 events) -------------------------------------------------------------


@_invariant
def every_act_answers_what_its_side_had_received(
    before: WorldState, event: ev.DomainEvent, after: WorldState, ledger: Ledger
) -> str | None:
    if not _causal(event):
        return None
    side = event.side
    if isinstance(event, ev.SovietReplyReceived) and event.track != "level" and not event.in_reply_to:
        return f"a Soviet answer on the {event.track} track names nothing it answers"
    for message_id in event.in_reply_to or ():
        message = ledger.messages.get(message_id)
        if message is None:
            return f"it answers {message_id}, which was never sent before it"
        if side is not None and not _knew(message, side, event.at):
            return f"{side} answers {message_id} before it had received it"
    return None


@_invariant
def no_answer_on_a_track_its_side_knew_closed(
    before: WorldState, event: ev.DomainEvent, after: WorldState, ledger: Ledger
) -> str | None:
    if not (_causal(event) and isinstance(event, ev.SovietReplyReceived)):
        return None
    for earlier in ledger.soviet.get(event.track, ()):
        if earlier.answer in ("accept", "reject"):
            return f"a Soviet answer on the {event.track} track after it had {earlier.answer}ed on it"
    return None


@_invariant
def an_ally_answers_an_open_consultation_once(
    before: WorldState, event: ev.DomainEvent, after: WorldState, ledger: Ledger
) -> str | None:
    if not (_causal(event) and isinstance(event, ev.AlliedAnswerReceived)):
        return None
    if before.allies.get(event.ally) != "consulted":
        return f"{event.ally} answers a consultation that is not open ({before.allies.get(event.ally)})"
    if ledger.answers.get(event.ally):
        return f"{event.ally} answers its consultation twice"
    return None


@_invariant
def a_settlement_needs_the_accepted_proposal_delivered(
    before: WorldState, event: ev.DomainEvent, after: WorldState, ledger: Ledger
) -> str | None:
    if not _causal(event):
        return None
    if isinstance(event, ev.TrackSettled) or (
        isinstance(event, ev.AgreementReached) and event.outcome == "negotiated_withdrawal"
    ):
        side = event.side or "washington"
        if event.in_reply_to:
            return None  # the record's own act: what it answers is checked above
        track = getattr(event, "track", None)
        accepted = [
            r
            for t, replies in ledger.soviet.items()
            for r in replies
            if r.answer == "accept" and (track is None or t == track) and _knew(r, side, event.at)
        ]
        if not accepted:
            return f"{event.type} with no Soviet acceptance that had reached {side}"
    return None


@_invariant
def the_plan_reacts_only_to_what_reached_its_side(
    before: WorldState, event: ev.DomainEvent, after: WorldState, ledger: Ledger
) -> str | None:
    if not _causal(event) or event.side is None:
        return None
    side: Side = event.side
    if isinstance(event, ev.CounterProposalAnswered) or (
        isinstance(event, ev.TrackClosed) and event.reason == "rejected"
    ):
        wanted = "counter" if isinstance(event, ev.CounterProposalAnswered) else "reject"
        heard = [
            r for r in ledger.soviet.get(event.track, ()) if r.answer == wanted and _knew(r, side, event.at)
        ]
        if not heard:
            return f"{event.type} on the {event.track} track before any Soviet {wanted} had reached {side}"
    if (
        isinstance(event, ev.ConsultationClosed)
        and event.result != "no_answer"
        and event.result not in ledger.answers.get(event.ally, set())
    ):
        return f"the consultation with {event.ally} closes on an answer it never gave"
    return None


@_invariant
def nothing_is_known_that_no_channel_brought(
    before: WorldState, event: ev.DomainEvent, after: WorldState, ledger: Ledger
) -> str | None:
    if not _causal(event):
        return None
    if isinstance(event, ev.MessageSent) and event.to is not None and not event.public:
        learned = known_at(event, event.to)
        if learned is not None and learned < event.arrives_at:
            return f"message {event.message_id} known to {event.to} before it arrived"
    if isinstance(event, ev.MessageDelivered):
        message = ledger.messages.get(event.message_id)
        for side in SIDES:
            learned = known_at(event, side)
            if learned is None or message is None:
                continue
            knew = known_at(message, side)
            if knew is None or knew > learned:
                return f"the delivery of {event.message_id} known to {side} before the message itself"
    return None


def violations(initial: WorldState, events: Iterable[ev.DomainEvent]) -> Iterator[str]:
    """Every invariant an event log breaks, as `seq N (type): what`."""
    state = initial
    ledger = Ledger()
    for event in events:
        after = apply(state, event)
        for check in INVARIANTS:
            broken = check(state, event, after, ledger)
            if broken is not None:
                yield f"seq {event.seq} ({event.type}): {broken}"
        ledger.take(event)
        state = after


def end_violations(initial: WorldState, events: Iterable[ev.DomainEvent]) -> Iterator[str]:
    """What a whole timeline, run to its end, leaves incoherent: a negotiated withdrawal with
    the missiles still in place, military action with a negotiated settlement in its log."""
    log = list(events)
    final = initial
    for event in log:
        final = apply(final, event)
    if not log or log[-1].v < KNOWLEDGE_BY_CHANNELS:
        return
    if final.outcome == "negotiated_withdrawal" and final.missiles in ("undetected", "detected"):
        yield f"a negotiated withdrawal ends with the missiles {final.missiles}"
    if final.outcome == "military_action":
        for event in log:
            if isinstance(event, ev.AgreementReached) and event.outcome == "negotiated_withdrawal":
                yield f"seq {event.seq}: military action, and a negotiated settlement in the same log"
