"""Invariants of the world: what no timeline may ever do, whatever its plan, moves or branches.

Each is a statement about one step of the fold (the state before, the event, the state
after). They hold of the record, and the tests check that they hold of every shipped
timeline and variant and of thousands of random branches of them (tests/test_invariants.py):
a counterfactual that breaks one contradicts itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from models import events as ev
from models.state import WorldState, apply

Invariant = Callable[[WorldState, ev.DomainEvent, WorldState], str | None]
INVARIANTS: list[Invariant] = []


def _invariant(check: Invariant) -> Invariant:
    INVARIANTS.append(check)
    return check


@_invariant
def events_come_in_order(before: WorldState, event: ev.DomainEvent, after: WorldState) -> str | None:
    if event.seq != before.last_seq + 1:
        return f"seq {event.seq} follows seq {before.last_seq}"
    if before.at is not None and event.at < before.at:
        return f"{event.type} at {event.at.isoformat()} comes after {before.at.isoformat()}"
    return None


@_invariant
def nothing_is_known_before_it_happens(
    before: WorldState, event: ev.DomainEvent, after: WorldState
) -> str | None:
    for learned in (event.learned_at, event.moscow_learned_at):
        if learned is not None and learned < event.at:
            return f"{event.type} is known at {learned.isoformat()}, before it happened"
    return None


@_invariant
def defcon_stays_between_1_and_5(before: WorldState, event: ev.DomainEvent, after: WorldState) -> str | None:
    wrong = {command: level for command, level in after.defcon.items() if not 1 <= level <= 5}
    return f"DEFCON out of range: {wrong}" if wrong else None


@_invariant
def an_outcome_once_reached_stands(
    before: WorldState, event: ev.DomainEvent, after: WorldState
) -> str | None:
    if before.outcome is not None and after.outcome != before.outcome:
        return f"the outcome {before.outcome} became {after.outcome}"
    return None


@_invariant
def no_settlement_after_military_action(
    before: WorldState, event: ev.DomainEvent, after: WorldState
) -> str | None:
    settles = isinstance(event, ev.AgreementReached) and event.outcome == "negotiated_withdrawal"
    if before.outcome == "military_action" and settles:
        return "a negotiated settlement after military action had ended the crisis"
    return None


@_invariant
def missiles_leave_only_when_the_crisis_is_resolved(
    before: WorldState, event: ev.DomainEvent, after: WorldState
) -> str | None:
    if after.missiles in ("dismantling", "removed") and after.outcome is None:
        return f"missiles {after.missiles} with no agreement and no military action"
    return None


@_invariant
def the_quarantine_ends_only_when_the_crisis_is_resolved(
    before: WorldState, event: ev.DomainEvent, after: WorldState
) -> str | None:
    if after.quarantine == "lifted" and after.outcome is None:
        return "the quarantine lifted while the crisis is unresolved"
    return None


@_invariant
def a_message_is_delivered_only_after_it_was_sent(
    before: WorldState, event: ev.DomainEvent, after: WorldState
) -> str | None:
    if isinstance(event, ev.MessageDelivered):
        sent = [m for m in before.messages_in_transit if m.message_id == event.message_id]
        if not sent:
            return f"message {event.message_id} delivered but never sent (or delivered twice)"
        if sent[0].sent_at > event.at:
            return f"message {event.message_id} delivered before it was sent"
    return None


@_invariant
def alliance_cohesion_stays_between_0_and_1(
    before: WorldState, event: ev.DomainEvent, after: WorldState
) -> str | None:
    return None if 0 <= after.alliance_cohesion <= 1 else f"alliance cohesion {after.alliance_cohesion}"


@_invariant
def a_closed_track_stays_closed(before: WorldState, event: ev.DomainEvent, after: WorldState) -> str | None:
    for track, status in before.tracks.items():
        if status != "open" and after.tracks.get(track) != status:
            return f"the {track} track, {status}, became {after.tracks.get(track)}"
    return None


def violations(initial: WorldState, events: Iterable[ev.DomainEvent]) -> Iterator[str]:
    """Every invariant an event log breaks, as `seq N (type): what`."""
    state = initial
    for event in events:
        after = apply(state, event)
        for check in INVARIANTS:
            broken = check(state, event, after)
            if broken is not None:
                yield f"seq {event.seq} ({event.type}): {broken}"
        state = after
