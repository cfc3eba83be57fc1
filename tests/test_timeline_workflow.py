"""The timeline workflow on the time-skipping test server: pacing, pause, step, queries."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.event_store import EventStore
from models.pace import parse_pace
from models.run import Progress, TimelineResult
from models.simulation import simulate
from models.timeline import TimelineDefinition
from service.runs.lifecycle import start_timeline
from service.runtime.workers import build_worker
from tests.conftest import eventually
from workflows.timeline import TimelineWorkflow

Handle = WorkflowHandle[TimelineWorkflow, TimelineResult]


async def _start(
    env: WorkflowEnvironment, definition: TimelineDefinition, pace: str, task_queue: str, paused: bool = False
) -> Handle:
    # The time-skipping server cannot register search attributes, so none are set here.
    return await start_timeline(
        env.client,
        definition,
        parse_pace(pace),
        f"t-{uuid.uuid4().hex[:8]}",
        start_paused=paused,
        with_search_attributes=False,
        task_queue=task_queue,
    )


async def _timer_durations(handle: Handle) -> list[timedelta]:
    history = await handle.fetch_history()
    return [
        e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]


async def _progress(handle: Handle) -> Progress:
    return await handle.query(TimelineWorkflow.progress)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_instant_pace_runs_the_whole_script_without_a_single_timer(
    time_skipping: WorkflowEnvironment, three_days: TimelineDefinition, store: EventStore, task_queue: str
) -> None:
    async with build_worker(time_skipping.client, store, task_queue=task_queue):
        handle = await _start(time_skipping, three_days, "instant", task_queue)
        result = await handle.result()
        expected = list(simulate(three_days))
        # Six scripted events and the missiles' withdrawal, which follows the settlement by a
        # rule of the world (models.consequences).
        assert result.events == len(expected) == 7
        assert expected[-1].type == "missiles_withdrawn"
        assert result.state.outcome == "negotiated_withdrawal"
        assert await _timer_durations(handle) == []
        assert await handle.query(TimelineWorkflow.events) == expected
        assert store.events(handle.id) == expected


async def test_paced_timers_last_the_simulated_gap_divided_by_the_pace(
    time_skipping: WorkflowEnvironment, three_days: TimelineDefinition, store: EventStore, task_queue: str
) -> None:
    async with build_worker(time_skipping.client, store, task_queue=task_queue):
        handle = await _start(time_skipping, three_days, "1d=10s", task_queue)
        result = await handle.result()
    instants = [three_days.starts_at] + [e.at for e in simulate(three_days)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(instants) if later > earlier]
    # One simulated day is ten real seconds: a gap of g simulated seconds is g/8640 s.
    assert await _timer_durations(handle) == [gap / 8640 for gap in gaps]
    assert result.events == 7
    assert store.events(handle.id) == list(simulate(three_days))


async def test_a_paused_timeline_holds_its_clock_until_resumed(
    time_skipping: WorkflowEnvironment, three_days: TimelineDefinition, store: EventStore, task_queue: str
) -> None:
    async with build_worker(time_skipping.client, store, task_queue=task_queue):
        handle = await _start(time_skipping, three_days, "1d=10s", task_queue)
        await handle.signal(TimelineWorkflow.pause)
        await eventually(lambda: _is_paused(handle), what="the pause to take effect")
        held = await _progress(handle)
        await time_skipping.sleep(timedelta(hours=1))  # an hour of real time: days at this pace
        assert await _progress(handle) == held
        assert held.last_seq == 0
        await handle.signal(TimelineWorkflow.resume)
        result = await handle.result()
        assert result.events == 7


async def _is_paused(handle: Handle) -> bool:
    return (await _progress(handle)).paused


async def test_step_day_runs_one_washington_day_then_pauses_again(
    time_skipping: WorkflowEnvironment, three_days: TimelineDefinition, store: EventStore, task_queue: str
) -> None:
    async with build_worker(time_skipping.client, store, task_queue=task_queue):
        handle = await _start(time_skipping, three_days, "1d=10s", task_queue, paused=True)
        assert (await _progress(handle)).clock == _at("1962-10-26T00:00-04:00")

        async def clock_is(text: str) -> bool:
            p = await _progress(handle)
            return p.paused and p.clock == _at(text)

        await handle.signal(TimelineWorkflow.step_day)
        await eventually(lambda: clock_is("1962-10-27T00:00-04:00"), what="the end of 26 Oct")
        friday = await handle.query(TimelineWorkflow.events)
        assert [e.at.day for e in friday] == [26, 26, 26]
        # Recorded before pausing: a paused timeline's store is up to date.
        assert store.events(handle.id) == friday

        # Saturday's midnight is still EDT; Sunday's is EST (the clocks went back at 02:00).
        await handle.signal(TimelineWorkflow.step_day)
        await eventually(lambda: clock_is("1962-10-28T00:00-04:00"), what="the end of 27 Oct")
        # Sunday's step runs the last scripted events, and holds at Monday's midnight, in EST.
        await handle.signal(TimelineWorkflow.step_day)
        await eventually(lambda: clock_is("1962-10-29T00:00-05:00"), what="the end of 28 Oct")
        sunday = await handle.query(TimelineWorkflow.events)
        assert [e.type for e in sunday[-2:]] == ["agreement_reached", "missile_dismantling_began"]
        # Resumed, it runs to the withdrawal that follows the settlement, and ends there.
        await handle.signal(TimelineWorkflow.resume)
        result = await handle.result()
        assert result.events == 7
        assert result.state.outcome == "negotiated_withdrawal" and result.state.missiles == "removed"
        assert (await _progress(handle)).clock == _at("1962-11-12T09:00-05:00")


async def test_state_query_tracks_the_fold_as_the_clock_moves(
    time_skipping: WorkflowEnvironment, three_days: TimelineDefinition, store: EventStore, task_queue: str
) -> None:
    async with build_worker(time_skipping.client, store, task_queue=task_queue):
        handle = await _start(time_skipping, three_days, "1d=10s", task_queue, paused=True)
        await handle.signal(TimelineWorkflow.step_day)
        await eventually(lambda: _clock_reached(handle, _at("1962-10-27T00:00-04:00")), what="27 Oct")
        world = await handle.query(TimelineWorkflow.state)
        assert world.incidents == {"ship_boarded": 1}
        assert world.channels["cable"].messages == 1
        assert world.messages_in_transit == ()  # the letter arrived at 21:15 on the 26th
        assert world.outcome is None
        await handle.signal(TimelineWorkflow.resume)
        await handle.result()


async def _clock_reached(handle: Handle, instant: datetime) -> bool:
    return (await _progress(handle)).clock >= instant


async def _waiting(handle: Handle) -> bool:
    return (await _progress(handle)).waiting_since is not None


async def test_a_paced_wait_is_said_by_progress_so_a_page_moves_its_clock_on_between_events(
    time_skipping: WorkflowEnvironment, three_days: TimelineDefinition, store: EventStore, task_queue: str
) -> None:
    # Issue 24, #6: running at pace, the classroom's clock stood still between events (a
    # query's clock does not move between the workflow's tasks).
    from service.classroom.feed import shown_clock

    async with build_worker(time_skipping.client, store, task_queue=task_queue):
        handle = await _start(time_skipping, three_days, "1d=10s", task_queue)
        await eventually(lambda: _waiting(handle), what="the first paced wait")
        progress = await _progress(handle)
        assert progress.waiting_since is not None and progress.waiting_from is not None
        assert progress.waiting_until == _at("1962-10-26T07:30-04:00")  # the first event
        began = progress.waiting_since
        # A real second is 8,640 simulated seconds at this pace; the wait's end is never passed.
        assert shown_clock(progress, began + timedelta(seconds=1)) == progress.waiting_from + timedelta(
            seconds=8640
        )
        assert shown_clock(progress, began + timedelta(hours=1)) == progress.waiting_until
        assert (
            shown_clock(progress.model_copy(update={"paused": True}), began + timedelta(seconds=1))
            == progress.clock
        )
        result = await handle.result()
    assert result.events == 7
