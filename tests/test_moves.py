"""Analysts' moves: the same JSON by signal (the `temporal` CLI) or by validated update (excomm)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.event_store import EventStore
from models.pace import INSTANT
from models.run import TimelineResult
from service.runs.lifecycle import start_timeline
from service.runtime.workers import build_worker
from tests.conftest import eventually
from timelines.loader import load_timeline
from workflows.timeline import TimelineWorkflow

Handle = WorkflowHandle[TimelineWorkflow, TimelineResult]
ACCEPT = {"kind": "soviet_reply", "track": "cuba", "answer": "accept", "at": "1962-10-30T15:00-05:00"}
# A Soviet answer answers what had reached Moscow: the plan's Cuba proposal, sent at noon on
# 27 Oct, arrives at 20:00. Two days stepped from its start, the memo stands at midnight after.
ANSWERED = {**ACCEPT, "at": None}


async def _paused_memo(env: WorkflowEnvironment, queue: str) -> Handle:
    return await start_timeline(
        env.client,
        load_timeline("memo"),
        INSTANT,
        f"m-{uuid.uuid4().hex[:8]}",
        start_paused=True,
        with_search_attributes=False,
        task_queue=queue,
    )


async def _stepped_memo(env: WorkflowEnvironment, queue: str) -> Handle:
    """The memo, paused, stepped to midnight after 27 Oct: its Cuba proposal is in Moscow."""
    handle = await _paused_memo(env, queue)
    for _ in range(2):
        await handle.signal(TimelineWorkflow.step_day)
    await eventually(lambda: _holding_at(handle, "1962-10-28T00:00:00-04:00"), what="28 Oct")
    return handle


async def _holding_at(handle: Handle, instant: str) -> bool:
    progress = await handle.query(TimelineWorkflow.progress)
    return progress.paused and progress.clock.isoformat() == instant


def _comparable(events: list[Any]) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in events]


async def test_a_move_by_signal_and_the_same_move_by_update_have_the_same_effect(
    time_skipping: WorkflowEnvironment, store: EventStore, task_queue: str
) -> None:
    async with build_worker(time_skipping.client, store, task_queue=task_queue):
        by_update = await _stepped_memo(time_skipping, task_queue)
        receipt = await by_update.execute_update(TimelineWorkflow.submit_move, ANSWERED)
        assert receipt.kind == "soviet_reply"
        by_signal = await _stepped_memo(time_skipping, task_queue)
        await by_signal.signal(TimelineWorkflow.move, ANSWERED)
        for handle in (by_update, by_signal):
            await handle.signal(TimelineWorkflow.resume)
        updated, signalled = await by_update.result(), await by_signal.result()
    assert updated.state.outcome == signalled.state.outcome == "negotiated_withdrawal"
    assert _comparable(store.events(by_update.id)) == _comparable(store.events(by_signal.id))
    # The move made the timeline a counterfactual, from the event that took it in.
    since = updated.state.counterfactual_since
    assert since is not None
    assert store.events(by_update.id)[since - 1].type == "move_interjected"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"kind": "rumour"}, "unknown move kind 'rumour'"),
        ({"track": "cuba", "answer": "accept"}, "missing field 'kind'"),
        ({"kind": "soviet_reply", "answer": "accept"}, "missing field 'track'"),
        ({"kind": "soviet_reply", "track": "cuba", "answer": "maybe"}, "answer: Input should be"),
        ({**ACCEPT, "at": "1962-10-20T12:00-04:00"}, "is in the simulated past"),
        ({**ACCEPT, "track": "cyprus"}, "unknown track 'cyprus'"),
        ({"kind": "allied_answer", "ally": "Spain", "answer": "agree"}, "unknown ally 'Spain'"),
        ({**ACCEPT, "learned_at": "1962-10-30T14:00-05:00"}, "learned_at is before at"),
        ({**ACCEPT, "at": None, "learned_at": "1962-10-20T12:00-04:00"}, "is before the move's at"),
    ],
)
async def test_a_bad_move_by_update_is_refused_with_its_reason_and_history_is_unchanged(
    dev_server: WorkflowEnvironment,
    store: EventStore,
    task_queue: str,
    payload: dict[str, Any],
    reason: str,
) -> None:
    # On the dev server: a real server keeps a refused update out of history altogether.
    async with build_worker(dev_server.client, store, task_queue=task_queue):
        handle = await _paused_memo(dev_server, task_queue)
        await eventually(lambda: _idle(handle), what="the paused timeline to settle")
        before = len((await handle.fetch_history()).events)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(TimelineWorkflow.submit_move, payload)
        assert isinstance(refused.value.cause, ApplicationError)
        assert reason in refused.value.cause.message
        assert len((await handle.fetch_history()).events) == before
        # Let it finish, children and all: a running child would stall the time-skipping
        # server for every later test.
        await handle.signal(TimelineWorkflow.resume)
        await handle.result()


async def test_a_move_the_state_forbids_is_refused(
    time_skipping: WorkflowEnvironment, store: EventStore, task_queue: str
) -> None:
    async with build_worker(time_skipping.client, store, task_queue=task_queue):
        handle = await _paused_memo(time_skipping, task_queue)
        # Before the proposal is even sent, there is nothing for Moscow to accept.
        with pytest.raises(WorkflowUpdateFailedError) as early:
            await handle.execute_update(
                TimelineWorkflow.submit_move, {**ACCEPT, "at": "1962-10-27T13:00-04:00"}
            )
        assert "no message on the cuba track had reached Moscow" in str(early.value.cause)
        await handle.signal(TimelineWorkflow.step_day)  # 26 Oct: consultations open
        await handle.signal(TimelineWorkflow.step_day)  # 27 Oct: tracks open, the proposal reaches Moscow
        await eventually(lambda: _holding_at(handle, "1962-10-28T00:00:00-04:00"), what="28 Oct")
        await handle.execute_update(TimelineWorkflow.submit_move, ANSWERED)
        await handle.signal(TimelineWorkflow.step_day)  # 28 Oct: the acceptance reaches Washington
        await eventually(lambda: _settled(handle), what="the Cuba track to settle")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(TimelineWorkflow.submit_move, ANSWERED)
        assert "the crisis has ended (negotiated withdrawal), as Moscow knew it" in str(refused.value.cause)
        # Let it finish, children and all: a running child would stall the time-skipping
        # server for every later test.
        await handle.signal(TimelineWorkflow.resume)
        await handle.result()


async def test_a_bad_move_by_signal_changes_nothing_and_is_reported(
    time_skipping: WorkflowEnvironment, store: EventStore, task_queue: str
) -> None:
    async with build_worker(time_skipping.client, store, task_queue=task_queue):
        handle = await _paused_memo(time_skipping, task_queue)
        await eventually(lambda: _idle(handle), what="the paused timeline to settle")
        state_before = await handle.query(TimelineWorkflow.state)
        events_before = await handle.query(TimelineWorkflow.events)
        await handle.signal(TimelineWorkflow.move, {"kind": "soviet_reply", "track": "cuba"})

        async def refused() -> bool:
            return bool((await handle.query(TimelineWorkflow.progress)).rejected_moves)

        await eventually(refused, what="the refusal")
        (reason,) = (await handle.query(TimelineWorkflow.progress)).rejected_moves
        assert reason == "missing field 'answer'"
        assert await handle.query(TimelineWorkflow.state) == state_before
        assert await handle.query(TimelineWorkflow.events) == events_before
        await handle.signal(TimelineWorkflow.resume)
        result = await handle.result()
    assert result.state.outcome == "military_action"  # as if the bad move had never been sent


async def _paused(handle: Handle) -> bool:
    return (await handle.query(TimelineWorkflow.progress)).paused


async def _settled(handle: Handle) -> bool:
    return (await handle.query(TimelineWorkflow.state)).tracks.get("cuba") == "settled"


async def _idle(handle: Handle) -> bool:
    """Paused, with its consultations started and its events recorded: nothing in flight."""
    kinds = [e.event_type for e in (await handle.fetch_history()).events]
    started = kinds.count(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
    recorded = kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    return started == 7 and recorded == 1 and kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
