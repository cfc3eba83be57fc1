"""Consequences follow: rules of the world that the engine (its rules 3) carries out.

A settlement sets in motion what it settled, and force ends the talks. In the record the
record's own events do this, at their sourced instants; where a timeline has no such event
(a counterfactual that settles, or a branch that has suppressed the record's), these rules
do it, at the record's own delays after the settlement of 28 October 1962 (measured from
Khrushchev's acceptance, 09:00 EST), each a little later than the record's so that the
record, where it still applies, always comes first. Each step is taken only if it has not
happened already, and is left to the timeline's own script where that holds it still to come:

- the missile sites begin to be dismantled (the record: the order went out with the
  acceptance, FRUS 1961-63 v06 d68), 2 hours after;
- the missiles leave Cuba (the record: by 11 November, v06 d75), 15 days after;
- the quarantine is lifted once the removal is verified (the record: 20 November, after the
  IL-28 bombers were settled, v06 d79), 24 days after;
- the commands on alert go back to DEFCON 5 (the record: 21 November, v11 d215), 25 days
  after.

Military action closes every negotiation track still open, and an air strike or an
invasion attacks the missile sites (the air-strike plan briefed on 21 October could not
promise to destroy every missile, v11 d36): 12 hours after the order.

What these rules make is counterfactual: the world's rules applied to a world that was not
the record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from models import events as ev
from models.engine import Process, Receive, Scheduler, Sleep
from models.trusted import construct_from
from models.washington import to_washington

OUTCOME = "outcome"
DISMANTLING_BEGINS = timedelta(hours=2)
MISSILES_LEAVE = timedelta(days=15)
QUARANTINE_LIFTED = timedelta(days=24)
ALERTS_DOWN = timedelta(days=25)
SITES_ATTACKED = timedelta(hours=12)
SETTLEMENT_SOURCES = ("FRUS 1961-63 v06 d68", "FRUS 1961-63 v06 d75", "FRUS 1961-63 v06 d79")
FORCE_SOURCES = ("FRUS 1961-63 v11 d36",)


def follow(world: Scheduler) -> None:
    """Carry out the consequences of whatever outcome the timeline reaches."""
    told: list[bool] = []

    def outcome_reached(event: ev.DomainEvent) -> None:
        if not told and world.state.outcome is not None:
            told.append(True)
            world.post(OUTCOME, world.state.outcome)

    for kind in (ev.AgreementReached, ev.MilitaryActionOrdered, ev.CrisisEnded):
        world.listen(kind, outcome_reached)
    world.start(_consequences(world))


def _event(world: Scheduler, factory: type[ev.EventBase], side: str, summary: str, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "v": world.version,
        "seq": world.seq + 1,
        "at": world.now,
        "provenance": "counterfactual",
        "side": side,
        "summary": summary,
        **fields,
    }
    return construct_from(factory, values)


def _consequences(world: Scheduler) -> Process:
    outcome = yield Receive((OUTCOME,), None)
    settled_at = world.now
    if outcome == "negotiated_withdrawal":
        yield from _settlement(world, settled_at)
    elif outcome == "military_action":
        yield from _force(world, settled_at)


def _dismantling(world: Scheduler) -> Any:
    if world.state.missiles not in ("undetected", "detected"):
        return None
    return _event(
        world,
        ev.MissileDismantlingBegan,
        "moscow",
        "The settlement made, Soviet forces begin taking the missile sites apart, as they did within "
        "hours of the acceptance of 28 October 1962.",
        actor="Soviet forces in Cuba",
        sources=SETTLEMENT_SOURCES[:1],
        # Washington saw the sites dismantled on its reconnaissance photographs: four days
        # later in 1962 (the low-level flights of 1 November, v11 d135).
        learned_at=to_washington(world.now + timedelta(days=4)),
    )


def _withdrawal(world: Scheduler) -> Any:
    if world.state.missiles in ("removed", "attacked"):
        return None
    return _event(
        world,
        ev.MissilesWithdrawn,
        "moscow",
        "The missiles leave Cuba, fifteen days after the settlement, as they had by 11 November 1962.",
        actor="Soviet Union",
        sources=SETTLEMENT_SOURCES[1:2],
        learned_at=world.now,  # counted at sea by US ships and aircraft as they sailed
    )


def _quarantine(world: Scheduler) -> Any:
    if world.state.quarantine not in ("proclaimed", "in_force"):
        return None
    return _event(
        world,
        ev.QuarantineLifted,
        "washington",
        "The removal verified, the United States lifts the quarantine, as it did on 20 November 1962.",
        actor="Secretary of Defense McNamara",
        sources=SETTLEMENT_SOURCES[2:],
        public=True,
    )


def _alerts(world: Scheduler) -> Any:
    raised = tuple(command for command, level in world.state.defcon.items() if level < 5)
    if not raised:
        return None
    return _event(
        world,
        ev.DefconChanged,
        "washington",
        "The crisis over, the commands on alert go back to peacetime readiness, as they did on "
        "21 November 1962.",
        actor="Joint Chiefs of Staff",
        sources=("FRUS 1961-63 v11 d215",),
        commands=raised,
        level=5,
    )


# Each consequence of a settlement: its delay, the event the record has for it, and what
# makes it (None when the world has it already).
_SETTLEMENT: tuple[tuple[timedelta, type, Callable[[Scheduler], Any]], ...] = (
    (DISMANTLING_BEGINS, ev.MissileDismantlingBegan, _dismantling),
    (MISSILES_LEAVE, ev.MissilesWithdrawn, _withdrawal),
    (QUARANTINE_LIFTED, ev.QuarantineLifted, _quarantine),
    (ALERTS_DOWN, ev.DefconChanged, _alerts),
)


def _settlement(world: Scheduler, settled_at: Any) -> Process:
    # Only the steps the world still lacks, and the script will not take itself: a timeline
    # whose record does it all is not woken for nothing.
    due = [
        (delay, make)
        for delay, recorded, make in _SETTLEMENT
        if not world.scripted_later(recorded) and make(world) is not None
    ]
    for delay, make in due:
        yield Sleep(to_washington(settled_at + delay))
        event = make(world)
        if event is not None:
            yield event


def _force(world: Scheduler, ordered_at: Any) -> Process:
    # Military action ends the talks: every track still open is abandoned (a minute after the
    # order: a plan closes its own tracks as it orders force, and says so itself).
    yield Sleep(to_washington(ordered_at + timedelta(minutes=1)))
    for track, status in sorted(world.state.tracks.items()):
        if status == "open":
            yield _event(
                world,
                ev.TrackClosed,
                "washington",
                f"The {track} track is abandoned: force has taken over.",
                actor="United States",
                sources=FORCE_SOURCES,
                track=track,
                reason="abandoned",
            )
    yield Sleep(to_washington(ordered_at + SITES_ATTACKED))
    if world.state.missiles in ("undetected", "detected", "dismantling"):
        yield _event(
            world,
            ev.MissileSitesAttacked,
            "washington",
            "US aircraft attack the missile sites, as the air-strike plan of October 1962 provided; "
            "its commander could not promise that every missile would be destroyed.",
            actor="US Air Force and Navy",
            sources=FORCE_SOURCES,
            public=True,
        )
