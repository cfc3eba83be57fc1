"""One rule set for moves: the signal, the update, a branch and a file all admit by `admit`."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from activities.event_store import EventStore
from models.admission import Situation, admit
from models.moves import InvalidMove, SovietReply
from models.simulation import initial_state, simulate
from models.state import fold, state_at
from service.runs.branching import BranchError, fork
from service.runs.lifecycle import failure_of
from service.runtime.workers import build_worker
from timelines.loader import load_plan_file, load_timeline
from timelines.safe_yaml import FileProblems

NOON_27 = datetime.fromisoformat("1962-10-27T12:00-04:00")
REPLY: dict[str, object] = {"kind": "soviet_reply", "track": "cuba", "answer": "counter"}
TURKEY = {"kind": "allied_answer", "ally": "Turkey"}
OFFSET = r"^--at 1962-10-27T19:44:00-05:00: offset is not Washington time .*EDT, -04:00"


def _memo_at_noon() -> Situation:
    memo = load_timeline("memo-1962")
    return Situation(memo.plan, state_at(initial_state(memo), simulate(memo), NOON_27), NOON_27)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"kind": "rumour"}, "unknown move kind 'rumour'"),
        ({"kind": "soviet_reply", "track": "cuba"}, "missing field 'answer'"),
        ({**REPLY, "at": "1962-10-27T13:00-05:00"}, "at: offset is not Washington time at that instant"),
        ({**REPLY, "at": "9999-12-31T23:00-05:00"}, "at: the year 9999 is outside 1900-2100"),
        ({**REPLY, "at": "1962-10-27T11:00-04:00"}, "is in the simulated past"),
        ({**REPLY, "learned_at": "1962-10-27T11:59-04:00"}, "learned_at 1962-10-27T11:59:00-04:00 is before"),
        ({**REPLY, "track": "cubaa"}, "track: unknown track 'cubaa' (did you mean cuba?)"),
        ({"kind": "allied_answer", "ally": "Turky", "answer": "agree"}, "ally: unknown ally 'Turky'"),
        ({**REPLY, "terms": ["no_invasion_pledg"]}, "terms[0]: unknown term 'no_invasion_pledg'"),
        (
            {"kind": "allied_answer", "ally": "Turkey", "answer": "agree"},
            "consultation with Turkey is closed",
        ),
        ({**REPLY, "provenance": "historical"}, "provenance: an analyst's move is counterfactual"),
        (["not", "a", "mapping"], "payload"),
    ],
)
def test_a_bad_move_is_refused_in_one_line_naming_its_field(payload: Any, reason: str) -> None:
    with pytest.raises(InvalidMove) as refused:
        admit(payload, _memo_at_noon())
    assert reason in str(refused.value) and "\n" not in str(refused.value)


def test_a_move_is_placed_at_the_clock_when_it_gives_no_instant() -> None:
    move = admit(REPLY, _memo_at_noon())
    assert move.at == NOON_27 and move.provenance == "counterfactual"


def test_nothing_is_admitted_once_the_timeline_has_finished_or_a_track_is_closed() -> None:
    memo = load_timeline("memo-1962")
    end = fold(initial_state(memo), simulate(memo))
    later = datetime.fromisoformat("1963-09-01T12:00-04:00")
    with pytest.raises(InvalidMove, match="the cuba track is closed \\(settled\\)"):
        admit(REPLY, Situation(memo.plan, end, later))
    with pytest.raises(InvalidMove, match="the timeline has finished"):
        admit(REPLY, Situation(memo.plan, end, later, finished=True))


def test_the_record_takes_a_soviet_reply_though_it_runs_no_plan() -> None:
    record = load_timeline("october-1962")
    situation = Situation(None, state_at(initial_state(record), simulate(record), NOON_27), NOON_27)
    reply = admit({**REPLY, "answer": "reject"}, situation)
    assert isinstance(reply, SovietReply) and reply.track == "cuba"
    with pytest.raises(InvalidMove, match="unknown track 'cubaa'"):
        admit({**REPLY, "track": "cubaa"}, situation)


def test_a_branch_refuses_a_fork_instant_in_the_wrong_offset_and_a_bad_move_as_signal_does() -> None:
    memo = load_timeline("memo-1962")
    events = list(simulate(memo))
    wrong = datetime.fromisoformat("1962-10-27T19:44-05:00")
    with pytest.raises(
        BranchError, match=r"^--at 1962-10-27T19:44:00-05:00: offset is not Washington time .*EDT, -04:00"
    ):
        fork("p", memo, events, at=wrong, after_seq=None, moves=[])
    at = datetime.fromisoformat("1962-10-27T19:44-04:00")
    bad = {**REPLY, "track": "cubaa"}
    with pytest.raises(BranchError) as refused:
        fork("p", memo, events, at=at, after_seq=None, moves=[bad])
    with pytest.raises(InvalidMove) as signalled:
        admit(bad, Situation(memo.plan, state_at(initial_state(memo), events, at), at))
    assert str(refused.value) == f"--move 1: {signalled.value}"


def test_validate_reports_each_misspelled_word_of_a_variants_moves_at_its_place(tmp_path: Path) -> None:
    variant = tmp_path / "words.yaml"
    variant.write_text(
        "id: words\nversion: 1\nextends: memo\ntitle: t\ndescription: d\nsources: [FRUS 1961-63 v11 d89]\n"
        "moves:\n"
        "  - {kind: soviet_reply, at: 1962-10-27T10:00-04:00, track: cubaa, answer: reject}\n"
        "  - {kind: allied_answer, at: 1962-10-27T10:00-04:00, ally: Turky, answer: agree}\n"
        "  - {kind: soviet_reply, at: 1962-10-27T11:00-04:00, track: cuba, answer: counter,\n"
        "     terms: [no_invasion_pledg]}\n"
        "override_steps:\n"
        "  - {id: escalate, kind: end, outcome: military_action, rung: air_strik, summary: s}\n"
    )
    with pytest.raises(FileProblems) as caught:
        load_plan_file(variant)
    found = [(p.line, p.code) for p in caught.value.problems]
    assert found == [
        (8, "E-UNKNOWN-TRACK"),
        (9, "E-UNKNOWN-ALLY"),
        (11, "E-UNKNOWN-TERM"),
        (13, "E-UNKNOWN-RUNG"),
    ]


async def test_input_a_timeline_cannot_run_fails_it_visibly_not_its_task_for_ever(
    dev_server: WorkflowEnvironment, store: EventStore, task_queue: str
) -> None:
    async with build_worker(dev_server.client, store, task_queue=task_queue):
        handle = await dev_server.client.start_workflow(
            "Timeline",
            {"timeline": {"id": "broken"}},
            id=f"broken-{uuid.uuid4().hex[:6]}",
            task_queue=task_queue,
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    assert "ValidationError" in str(failed.value.cause)
    # What `excomm status` says of it: why it failed, from its history.
    assert "validation errors for TimelineRun" in await failure_of(handle)
