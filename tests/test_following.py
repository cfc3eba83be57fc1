"""Following a timeline: once it has finished, its last events come from the store when
the store holds every one of them, so a worker that has gone need not answer a query."""

from __future__ import annotations

from pathlib import Path

from activities.stores import open_store
from models.run import TimelineResult
from models.state import WorldState
from service.runs.lifecycle import _finished_tail
from tests.test_event_store import WORLD, _meeting


def _finished(last_seq: int) -> TimelineResult:
    state = WorldState.initial(WORLD).model_copy(update={"last_seq": last_seq})
    return TimelineResult(timeline="three-days", events=last_seq, state=state)


def test_a_finished_timeline_whose_store_holds_every_event_is_read_from_the_store(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "events.sqlite3"))
    store.append("run", "three-days", 1, WORLD, [_meeting(seq) for seq in range(1, 7)])
    tail = _finished_tail(store, "run", 2, _finished(6))
    assert tail is not None
    assert [event.seq for event in tail] == [3, 4, 5, 6]


def test_a_store_missing_any_of_them_leaves_the_answer_to_the_workflow(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "events.sqlite3"))
    # The workers recorded elsewhere (a store of their own), or not every event yet.
    store.append("run", "three-days", 1, WORLD, [_meeting(seq) for seq in range(1, 5)])
    assert _finished_tail(store, "run", 2, _finished(6)) is None
    assert _finished_tail(store, "other-run", 0, _finished(6)) is None
    assert _finished_tail(None, "run", 2, _finished(6)) is None


def test_a_store_that_cannot_be_read_leaves_the_answer_to_the_workflow(tmp_path: Path) -> None:
    (tmp_path / "events.sqlite3").write_text("not a database")
    assert _finished_tail(open_store(str(tmp_path / "events.sqlite3")), "run", 0, _finished(1)) is None
