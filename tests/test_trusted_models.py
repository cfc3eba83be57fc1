"""The engine builds events and states without validating them again (models.trusted):
what it builds must be exactly what validation would have built, and a state it hands out
must never change afterwards."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from models.ensemble import member, member_seeds
from models.events import EVENT_ADAPTER, DomainEvent
from models.moves import InvalidMove, parse_move
from models.simulation import build, initial_state, simulate
from models.state import WorldState, fold
from models.trusted import construct
from timelines.loader import load_plan, load_timeline, plan_names

ROOT = Path(__file__).resolve().parents[1]


def _logs() -> list[tuple[str, list[DomainEvent]]]:
    logs = [("october-1962", list(simulate(load_timeline("october-1962"))))]
    for name in plan_names():
        plan = load_plan(name)
        for seed in member_seeds(11, 15):
            logs.append((f"{name} seed {seed}", list(simulate(member(plan, seed)))))
    return logs


def test_every_event_the_engine_builds_is_what_validation_would_build() -> None:
    for where, events in _logs():
        for event in events:
            again = EVENT_ADAPTER.validate_python(event.model_dump())
            assert again == event, f"{where}: seq {event.seq} ({event.type})"
            assert again.model_dump_json() == event.model_dump_json()


def test_every_state_the_engine_folds_is_what_validation_would_build() -> None:
    for name in plan_names():
        definition = member(load_plan(name), 5)
        world = build(definition)
        world.run_to_end()
        state = world.state
        assert WorldState.model_validate(state.model_dump()) == state, name
        assert state == fold(initial_state(definition), simulate(definition)), name


def test_a_state_handed_out_never_changes_as_later_events_are_folded() -> None:
    definition = member(load_plan("memo-uncertain"), 7)
    world = build(definition)
    seen: list[tuple[WorldState, str]] = []
    events: list[DomainEvent] = []
    while (upcoming := world.next_instant()) is not None:
        events += world.run_until(upcoming)
        state = world.state
        seen.append((state, state.model_dump_json()))
    assert len(seen) > 5
    for state, as_it_was in seen:
        assert state.model_dump_json() == as_it_was
        assert state == fold(initial_state(definition), events[: state.last_seq])


def test_construct_refuses_a_model_without_its_required_fields() -> None:
    from models.events import ResolveDeclared

    with pytest.raises(TypeError, match="ResolveDeclared: missing actor, at"):
        construct(ResolveDeclared, summary="s", sources=("FRUS 1961-63 v11 d89",))


def test_a_move_learned_of_before_it_happened_is_refused() -> None:
    # Its arrival event is built without validation, so the move itself is checked.
    with pytest.raises(InvalidMove, match="learned_at is before at"):
        parse_move(
            {
                "kind": "incident",
                "incident": "ship_boarded",
                "subject": "a freighter",
                "at": "1962-10-27T12:00-04:00",
                "learned_at": "1962-10-27T11:00-04:00",
            }
        )


def test_commands_that_never_reach_a_server_do_not_load_the_temporal_sdk() -> None:
    # explore --runtime local, plan, validate...: 0.4 s saved on each.
    loaded = subprocess.run(
        [sys.executable, "-c", "import cli, sys; print({'temporalio', 'structlog'} & set(sys.modules))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "set()"
