import multiprocessing
import sqlite3
import threading
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from activities.event_store import SCHEMA_VERSION, ConflictingEvent, EventStore
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


def _open_and_append(path: str, timeline_id: str, together: threading.Barrier) -> int:
    store = EventStore(Path(path))
    together.wait()  # every process started and ready: they open the store at one instant
    return store.append(timeline_id, "october-1962", 1, WORLD, [_meeting(1)])


def test_processes_opening_a_new_store_at_once_all_find_it_ready(tmp_path: Path) -> None:
    # Five commands started together each open the store: one makes the schema, none fails.
    path = str(tmp_path / "events.sqlite3")
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(max_workers=8, mp_context=context) as pool:
        together = manager.Barrier(8)
        added = list(pool.map(_open_and_append, [path] * 8, [f"t{n}" for n in range(8)], [together] * 8))
    assert added == [1] * 8
    assert sorted(t.timeline_id for t in EventStore(Path(path)).timelines()) == [f"t{n}" for n in range(8)]


def test_a_store_made_before_branches_and_cancellation_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    with closing(sqlite3.connect(path)) as db:  # the schema of the first versions, without user_version
        db.executescript(
            "CREATE TABLE timelines (timeline_id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER "
            "NOT NULL, initial TEXT NOT NULL, created_at TEXT NOT NULL);"
            "CREATE TABLE events (timeline_id TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, "
            "type TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (timeline_id, seq)) WITHOUT ROWID;"
        )
    store = EventStore(path)
    store.append("old", "october-1962", 1, WORLD, [_meeting(1)], parent="p", fork_seq=1)
    store.mark("old", "cancelled")
    stored = store.timeline("old")
    assert stored is not None and (stored.parent, stored.fork_seq, stored.status) == ("p", 1, "cancelled")
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
