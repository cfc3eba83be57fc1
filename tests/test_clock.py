"""The simulated clock as a state machine: what pace, pause, resume and a day's step do."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.clock import Hold, Reached, SimulatedClock, Wait
from models.pace import INSTANT, parse_pace

START = datetime.fromisoformat("1962-10-27T09:00-04:00")
NOON = datetime.fromisoformat("1962-10-27T12:00-04:00")
NEXT_DAY = datetime.fromisoformat("1962-10-28T09:00-05:00")
REAL = datetime.fromisoformat("2026-11-25T10:00+00:00")


def test_at_instant_pace_the_clock_jumps_to_the_next_instant() -> None:
    clock = SimulatedClock(INSTANT, START, paused=False)
    assert clock.towards(NOON) == Reached() and clock.now == NOON


def test_a_paused_clock_holds_until_released_and_a_step_runs_the_rest_of_the_day_only() -> None:
    stepped: list[str] = []
    clock = SimulatedClock(INSTANT, START, paused=True, on_day_stepped=lambda: stepped.append("day"))
    assert clock.towards(NOON) == Hold() and not clock.released
    assert clock.step_day() and clock.released
    assert clock.towards(NOON) == Reached() and clock.now == NOON  # within the day: at once
    # The next instant is past midnight: the clock stops at midnight (EST from 02:00 on 28 Oct) and holds.
    assert clock.towards(NEXT_DAY) == Hold()
    assert clock.now == datetime.fromisoformat("1962-10-28T00:00-04:00") and stepped == ["day"]
    clock.resume()
    assert clock.towards(NEXT_DAY) == Reached() and clock.now == NEXT_DAY


def test_a_step_is_refused_while_the_clock_runs() -> None:
    clock = SimulatedClock(INSTANT, START, paused=False)
    assert not clock.step_day() and clock.step_until is None


def test_a_paced_clock_waits_in_real_time_and_an_interruption_leaves_it_where_the_pace_had_brought_it() -> (
    None
):
    clock = SimulatedClock(parse_pace("1d=10s"), START, paused=False)
    decision = clock.towards(NOON)
    assert decision == Wait(timedelta(seconds=1.25), NOON)  # three hours at a day every ten seconds
    clock.waiting(REAL, NOON)
    assert clock.current(REAL + timedelta(seconds=0.625)) == datetime.fromisoformat("1962-10-27T10:30-04:00")
    clock.pause()
    assert clock.stopped
    clock.interrupted(REAL + timedelta(seconds=0.625))
    assert clock.now == datetime.fromisoformat("1962-10-27T10:30-04:00")
    clock.resume()
    again = clock.towards(NOON)
    assert isinstance(again, Wait)
    clock.waiting(REAL, NOON)
    clock.arrived()
    assert clock.now == NOON
