from datetime import datetime

import pytest

from activities.event_store import ConflictingEvent, EventStore
from models.events import MeetingHeld
from models.timeline import InitialWorld

WORLD = InitialWorld()


def _meeting(seq: int, decision: str = "blockade") -> MeetingHeld:
    return MeetingHeld(
        seq=seq,
        at=datetime.fromisoformat("1962-10-20T14:30-04:00"),
        actor="NSC",
        provenance="historical",
        summary="The council meets.",
        sources=("JFK Library cmc/oct20/doc1",),
        forum="NSC",
        decision=decision,
    )


def test_appending_the_same_events_twice_stores_them_once(store: EventStore) -> None:
    batch = [_meeting(1), _meeting(2)]
    assert store.append("t1", "october-1962", 1, WORLD, batch) == 2
    assert store.append("t1", "october-1962", 1, WORLD, batch) == 0
    assert [e.seq for e in store.events("t1")] == [1, 2]
    assert store.events("t1") == batch


def test_a_different_event_for_a_stored_seq_is_refused_and_nothing_is_written(store: EventStore) -> None:
    store.append("t1", "october-1962", 1, WORLD, [_meeting(1)])
    with pytest.raises(ConflictingEvent):
        store.append("t1", "october-1962", 1, WORLD, [_meeting(2), _meeting(1, decision="air strike")])
    assert [e.seq for e in store.events("t1")] == [1]


def test_timelines_are_kept_apart(store: EventStore) -> None:
    store.append("a", "october-1962", 1, WORLD, [_meeting(1)])
    store.append("b", "october-1962", 1, WORLD, [_meeting(1), _meeting(2)])
    assert len(store.events("a")) == 1
    stored = store.timeline("b")
    assert stored is not None and stored.events == 2 and stored.name == "october-1962"
