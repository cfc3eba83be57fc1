"""What a classroom page shows of a run: its events as one view knows them, the world at
its clock, and what the day just taught changed.

Three views, the toggle of the page: what happened (every event at its instant), and the
world as Washington, Moscow or Havana knew it (an event once that side learned of it, the state
folded from what it knew). Pure functions of a feed's snapshot, so that every page of a
class computes the same thing from the same snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from models.events import DomainEvent, known_at
from models.sides import Side
from models.state import WorldState, fold, state_at
from models.washington import to_washington, washington_date
from service.classroom.feed import Snapshot

View = Literal["happened", "washington", "moscow", "havana"]
VIEWS: dict[View, str] = {
    "happened": "What happened",
    "washington": "As Washington knew it",
    "moscow": "As Moscow knew it",
    "havana": "As Havana knew it",
}
_TICK = timedelta(microseconds=1)


def side_of(view: View) -> Side | None:
    return None if view == "happened" else view


def shown_at(event: DomainEvent, view: View) -> datetime:
    """When the view shows an event: when it happened, or when the side learned of it (the
    view shows only events its side learned of: see `visible`)."""
    side = side_of(view)
    if side is None:
        return event.at
    learned = known_at(event, side)
    assert learned is not None, "a view shows only what its side learned of"
    return learned


def visible(snapshot: Snapshot, view: View) -> list[DomainEvent]:
    """The events the view shows by the run's clock, in the order it learned of them."""
    side = side_of(view)
    if side is None:
        return list(snapshot.events)
    clock = snapshot.clock
    learned = [(known_at(e, side), e) for e in snapshot.events]
    known = [(when, e) for when, e in learned if when is not None and (clock is None or when <= clock)]
    return [e for _, e in sorted(known, key=lambda pair: (pair[0], pair[1].seq))]


def world(snapshot: Snapshot, view: View) -> WorldState:
    side = side_of(view)
    if side is None or snapshot.clock is None:
        return fold(snapshot.initial, snapshot.events)
    return state_at(snapshot.initial, snapshot.events, snapshot.clock, side)


def lesson_day(snapshot: Snapshot) -> date | None:
    """The day the class is on: the one the clock is in, or, standing at a midnight after a
    step, the day that step ran."""
    if snapshot.clock is None:
        return None
    stepped = bool(snapshot.events) and snapshot.events[0].at < snapshot.clock
    return washington_date(snapshot.clock - _TICK) if stepped else washington_date(snapshot.clock)


@dataclass(frozen=True)
class DayChanges:
    """The fields of the state that the lesson's day changed, and what they were before."""

    before: WorldState
    fields: frozenset[str]


def changes_today(snapshot: Snapshot, view: View) -> DayChanges:
    now = world(snapshot, view)
    day = lesson_day(snapshot)
    if day is None:
        return DayChanges(now, frozenset())
    before = fold(snapshot.initial, (e for e in snapshot.events if washington_date(shown_at(e, view)) < day))
    fields = frozenset(
        name
        for name in (
            "defcon",
            "quarantine",
            "missiles",
            "jupiters",
            "tracks",
            "allies",
            "escalation_rung",
            "outcome",
        )
        if getattr(before, name) != getattr(now, name)
    )
    return DayChanges(before, fields)


def clock_label(instant: datetime | None) -> str:
    if instant is None:
        return "not started"
    local = to_washington(instant)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M} {local.tzname()}"


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"
