"""The event store's contract, held by both stores: the SQLite file and PostgreSQL.

Each contract test runs twice, against a SQLite file and against a real PostgreSQL
server (tests/postgres.py: the distribution's package, started for the session).
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from activities.event_store import ConflictingEvent, EventStore, StoreUnavailable
from activities.postgres_store import MIGRATIONS
from activities.sqlite_store import SCHEMA_VERSION
from activities.stores import open_store
from models.events import MeetingHeld
from models.timeline import InitialWorld
from tests.postgres import fresh_database

WORLD = InitialWorld()
START = datetime.fromisoformat("1962-10-20T14:30-04:00")


def _meeting(seq: int, decision: str = "blockade") -> MeetingHeld:
    return MeetingHeld(
        seq=seq,
        at=START + timedelta(minutes=seq),
        actor="NSC",
        provenance="historical",
        summary="The council meets.",
        sources=("JFK Library cmc/oct20/doc1",),
        forum="NSC",
        decision=decision,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a fresh store lives: a SQLite file, or a new database, migrated, on the server."""
    if request.param == "sqlite":
        yield str(tmp_path / "events.sqlite3")
        return
    server: str = request.getfixturevalue("postgres_url")
    with fresh_database(server) as url:
        open_store(url).migrate()
        yield url


@pytest.fixture
def any_store(location: str) -> EventStore:
    return open_store(location)


def test_appending_the_same_events_twice_stores_them_once(any_store: EventStore) -> None:
    batch = [_meeting(1), _meeting(2)]
    assert any_store.append("t1", "october-1962", 1, WORLD, batch) == 2
    assert any_store.append("t1", "october-1962", 1, WORLD, batch) == 0
    assert any_store.append("t1", "october-1962", 1, WORLD, [_meeting(2), _meeting(3)]) == 1
    assert any_store.events("t1") == [_meeting(1), _meeting(2), _meeting(3)]
    assert any_store.events("t1", after_seq=2) == [_meeting(3)]


def test_a_different_event_for_a_stored_seq_is_refused_and_nothing_is_written(any_store: EventStore) -> None:
    any_store.append("t1", "october-1962", 1, WORLD, [_meeting(1)])
    with pytest.raises(ConflictingEvent):
        any_store.append("t1", "october-1962", 1, WORLD, [_meeting(2), _meeting(1, decision="air strike")])
    assert [e.seq for e in any_store.events("t1")] == [1]


def test_timelines_are_kept_apart(any_store: EventStore) -> None:
    any_store.append("a", "october-1962", 1, WORLD, [_meeting(1)])
    any_store.append("b", "october-1962", 1, WORLD, [_meeting(1), _meeting(2)])
    assert len(any_store.events("a")) == 1
    stored = any_store.timeline("b")
    assert stored is not None and stored.events == 2 and stored.name == "october-1962"
    assert stored.last_at == _meeting(2).at.isoformat()
    assert [t.timeline_id for t in any_store.timelines()] == ["a", "b"]
    assert any_store.timeline("c") is None and any_store.events("c") == []


def test_a_message_is_delivered_once(any_store: EventStore) -> None:
    assert any_store.deliver("t1", "plan-cuba-1", "cable", START) is True
    assert any_store.deliver("t1", "plan-cuba-1", "cable", START) is False
    assert any_store.deliveries("t1") == [("plan-cuba-1", "cable", START.isoformat())]


def test_lineage_records_each_branch_and_its_fork_point(any_store: EventStore) -> None:
    any_store.append("history", "october-1962", 3, WORLD, [_meeting(1), _meeting(2)])
    any_store.append("what-if", "october-1962", 3, WORLD, [_meeting(1)], parent="history", fork_seq=1)
    any_store.append("what-else", "october-1962", 3, WORLD, [_meeting(1)], parent="history", fork_seq=2)
    assert any_store.branches("history") == [("what-if", 1), ("what-else", 2)]
    branch = any_store.timeline("what-if")
    assert branch is not None and (branch.parent, branch.fork_seq) == ("history", 1)


def test_a_cancelled_timeline_keeps_its_events_and_an_archived_one_frees_its_id(
    any_store: EventStore,
) -> None:
    any_store.append("lesson", "october-1962", 3, WORLD, [_meeting(1), _meeting(2)])
    any_store.append("branch", "october-1962", 3, WORLD, [_meeting(1)], parent="lesson", fork_seq=1)
    any_store.deliver("lesson", "m1", "cable", START)
    any_store.mark("lesson", "cancelled")
    stored = any_store.timeline("lesson")
    assert stored is not None and stored.status == "cancelled" and stored.events == 2
    archived = any_store.archive("lesson", "20261202")
    assert archived == "lesson~archived-20261202"
    assert any_store.timeline("lesson") is None and any_store.events("lesson") == []
    moved = any_store.timeline(archived)
    assert moved is not None and moved.status == "archived" and len(any_store.events(archived)) == 2
    assert any_store.deliveries(archived) == [("m1", "cable", START.isoformat())]
    assert any_store.branches(archived) == [("branch", 1)]
    assert any_store.append("lesson", "memo", 1, WORLD, [_meeting(1, decision="new")]) == 1  # the id is free


def _append_from_a_process(location: str, first: int, together: threading.Barrier) -> int:
    store = open_store(location)
    store.check()
    together.wait()  # every process ready: they append at one instant
    added = 0
    for seq in range(first, first + 30, 3):  # overlapping batches of three
        added += store.append("shared", "october-1962", 3, WORLD, [_meeting(s) for s in range(seq, seq + 6)])
    return added


def test_processes_appending_to_one_timeline_at_once_store_each_event_once(location: str) -> None:
    # Two workers on two machines, a retried activity beside the first attempt.
    firsts = [1, 1, 4, 7]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        together = manager.Barrier(4)
        added = list(pool.map(_append_from_a_process, [location] * 4, firsts, [together] * 4))
    written = sorted({s for f in firsts for seq in range(f, f + 30, 3) for s in range(seq, seq + 6)})
    stored = open_store(location).events("shared")
    assert [e.seq for e in stored] == written == list(range(1, 40))
    assert stored == [_meeting(s) for s in written]
    assert sum(added) == len(written)  # each event counted new exactly once, by whoever wrote it


def test_a_reader_during_writes_sees_a_whole_prefix_of_the_log(any_store: EventStore) -> None:
    done = threading.Event()
    seen: list[list[int]] = []

    def read() -> None:
        while not done.is_set():
            seen.append([e.seq for e in any_store.events("growing")])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for first in range(1, 200, 10):
            any_store.append(
                "growing", "october-1962", 3, WORLD, [_meeting(s) for s in range(first, first + 10)]
            )
    finally:
        done.set()
        reader.join()
    assert seen and all(seqs == list(range(1, len(seqs) + 1)) for seqs in seen)
    assert all(len(seqs) % 10 == 0 for seqs in seen)  # a batch is seen whole or not at all


# --- SQLite: the embedded file, migrated on first use ---------------------------------------


def _open_and_append(path: str, timeline_id: str, together: threading.Barrier) -> int:
    store = open_store(Path(path))
    together.wait()  # every process started and ready: they open the store at one instant
    return store.append(timeline_id, "october-1962", 1, WORLD, [_meeting(1)])


def test_processes_opening_a_new_sqlite_store_at_once_all_find_it_ready(tmp_path: Path) -> None:
    # Five commands started together each open the store: one makes the schema, none fails.
    path = str(tmp_path / "events.sqlite3")
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(max_workers=8, mp_context=context) as pool:
        together = manager.Barrier(8)
        added = list(pool.map(_open_and_append, [path] * 8, [f"t{n}" for n in range(8)], [together] * 8))
    assert added == [1] * 8
    assert sorted(t.timeline_id for t in open_store(Path(path)).timelines()) == [f"t{n}" for n in range(8)]


def test_a_sqlite_store_made_before_branches_and_cancellation_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    with closing(sqlite3.connect(path)) as db:  # the schema of the first versions, without user_version
        db.executescript(
            "CREATE TABLE timelines (timeline_id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER "
            "NOT NULL, initial TEXT NOT NULL, created_at TEXT NOT NULL);"
            "CREATE TABLE events (timeline_id TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, "
            "type TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (timeline_id, seq)) WITHOUT ROWID;"
        )
    store = open_store(path)
    store.append("old", "october-1962", 1, WORLD, [_meeting(1)], parent="p", fork_seq=1, variant="v")
    store.mark("old", "cancelled")
    stored = store.timeline("old")
    assert stored is not None
    assert (stored.parent, stored.fork_seq, stored.status, stored.variant) == ("p", 1, "cancelled", "v")
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_sqlite_store_of_schema_1_keeps_its_timelines_and_learns_branches_variants(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    with closing(sqlite3.connect(path)) as db:  # as excomm's schema 1 left it
        db.executescript(
            "CREATE TABLE timelines (timeline_id TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER "
            "NOT NULL, initial TEXT NOT NULL, created_at TEXT NOT NULL, parent_id TEXT, fork_seq INTEGER, "
            "status TEXT);"
            "CREATE TABLE events (timeline_id TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, "
            "type TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (timeline_id, seq)) WITHOUT ROWID;"
            "PRAGMA user_version = 1;"
        )
        db.execute(
            "INSERT INTO timelines VALUES ('old', 'memo', 1, ?, '2026-11-01', NULL, NULL, NULL)",
            (WORLD.model_dump_json(),),
        )
        db.commit()
    store = open_store(path)
    assert store.migrate() == (1, 2)
    old = store.timeline("old")
    assert old is not None and (old.name, old.variant, old.behaviour) == ("memo", None, None)
    store.append("what-if", "memo", 1, WORLD, [_meeting(1)], "old", 1, "memo-halved", "a behaviour")
    branch = store.timeline("what-if")
    assert branch is not None and (branch.variant, branch.behaviour) == ("memo-halved", "a behaviour")


# --- PostgreSQL: a schema changed only by an explicit, versioned step -----------------------


def test_a_postgres_store_without_the_schema_is_refused_until_it_is_migrated(postgres_url: str) -> None:
    with fresh_database(postgres_url) as url:
        store = open_store(url)
        with pytest.raises(
            StoreUnavailable, match=r"has schema 0, this excomm needs 2: run `excomm store migrate`"
        ):
            store.check()
        assert store.migrate() == (0, 2)
        assert store.migrate() == (2, 2)  # again: nothing to do
        store.check()


def test_a_postgres_store_of_schema_1_keeps_its_timelines_and_learns_branches_variants(
    postgres_url: str,
) -> None:
    with fresh_database(postgres_url) as url:
        with psycopg.connect(url, autocommit=True) as conn:  # as excomm's schema 1 left it
            conn.execute("CREATE TABLE excomm_schema (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO excomm_schema VALUES (1)")
            for statement in MIGRATIONS[1]:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO timelines VALUES ('old', 'memo', 1, %s, '2026-11-01', NULL, NULL, NULL)",
                (WORLD.model_dump_json(),),
            )
        store = open_store(url)
        with pytest.raises(StoreUnavailable, match=r"has schema 1, this excomm needs 2"):
            store.check()
        assert store.migrate() == (1, 2)
        old = store.timeline("old")
        assert old is not None and (old.name, old.variant, old.behaviour) == ("memo", None, None)
        store.append("what-if", "memo", 1, WORLD, [_meeting(1)], "old", 1, "memo-halved", "a behaviour")
        branch = store.timeline("what-if")
        assert branch is not None and (branch.variant, branch.behaviour) == ("memo-halved", "a behaviour")


def test_two_migrations_at_once_take_turns(postgres_url: str) -> None:
    with fresh_database(postgres_url) as url:
        results: list[tuple[int, int]] = []
        threads = [
            threading.Thread(target=lambda: results.append(open_store(url).migrate())) for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [(0, 2), (2, 2), (2, 2), (2, 2)]


def test_a_store_that_does_not_answer_is_one_line_without_its_password(postgres_url: str) -> None:
    password = postgres_url.split(":")[2].split("@")[0]
    down = postgres_url.rsplit(":", 1)[0].rsplit("@", 1)[0] + "@127.0.0.1:1/excomm"
    with pytest.raises(StoreUnavailable) as refused:
        open_store(down).check()
    said = str(refused.value)
    assert said.startswith("the event store postgresql://excomm@127.0.0.1:1/excomm cannot be used: ")
    assert "\n" not in said and password not in said
    wrong = postgres_url.replace(password, "not-the-password")
    with pytest.raises(StoreUnavailable, match="password authentication failed") as refused:
        open_store(wrong).check()
    assert "not-the-password" not in str(refused.value)
