"""What a classroom page shows of a run: the day the class is on, and each side's view."""

from __future__ import annotations

from datetime import date, datetime

from models.simulation import initial_state, simulate
from service.classroom.feed import Snapshot
from service.classroom.lesson import changes_today, lesson_day, visible, world
from timelines.loader import load_timeline


def _record_until(clock: str) -> Snapshot:
    definition = load_timeline("october-1962")
    at = datetime.fromisoformat(clock)
    events = tuple(e for e in simulate(definition) if e.at <= at)
    return Snapshot("lesson", "october-1962", initial_state(definition), events, at, True, "running")


def test_the_class_is_on_the_first_day_before_any_step_and_on_the_day_just_stepped_after() -> None:
    assert lesson_day(_record_until("1962-10-14T00:00-04:00")) == date(1962, 10, 14)
    assert lesson_day(_record_until("1962-10-23T00:00-04:00")) == date(1962, 10, 22)
    assert lesson_day(_record_until("1962-10-22T15:00-04:00")) == date(1962, 10, 22)


def test_the_day_s_changes_are_what_that_day_changed() -> None:
    changes = changes_today(_record_until("1962-10-23T00:00-04:00"), "happened")
    assert "defcon" in changes.fields and changes.before.defcon["SAC"] == 5
    assert "missiles" not in changes.fields  # found on 15 October, not this day


def test_a_side_sees_an_event_when_it_learned_of_it() -> None:
    snapshot = _record_until("1962-10-26T20:00-04:00")
    letter = next(e for e in snapshot.events if "a long, private letter" in e.summary)
    assert letter.learned_at is not None and letter.learned_at > snapshot.clock  # type: ignore[operator]
    assert letter in visible(snapshot, "happened")
    assert letter not in visible(snapshot, "washington")
    shown = visible(_record_until("1962-10-27T00:00-04:00"), "washington")
    assert letter in shown and shown.index(letter) > shown.index(
        next(e for e in shown if e.at > letter.at and e.at < letter.learned_at)
    )
    assert world(snapshot, "washington").last_seq <= world(snapshot, "happened").last_seq


def test_havana_has_a_view_of_its_own_and_hears_the_settlement_from_the_radio() -> None:
    from service.classroom.lesson import VIEWS

    assert VIEWS["havana"] == "As Havana knew it"
    morning = _record_until("1962-10-28T12:00-05:00")
    settlement = next(e for e in morning.events if e.type == "agreement_reached")
    heard = [e for e in visible(morning, "havana") if e.type == "agreement_reached"]
    # Moscow's decision reached Havana as it reached everyone: by the broadcast, not before.
    assert heard == [settlement] and settlement.public
    early = _record_until("1962-10-28T08:00-05:00")
    assert settlement not in early.events or settlement not in visible(early, "havana")
    # Washington's private exchanges with Moscow never reached Havana in 1962.
    private = [
        e for e in morning.events if e.type == "message_sent" and e.side == "washington" and not e.public
    ]
    assert private and not set(private) & set(visible(morning, "havana"))
