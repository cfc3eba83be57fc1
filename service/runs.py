"""Starting timelines on Temporal and following them: shared by every command that runs one."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle

from models.engine import RULES
from models.events import DomainEvent
from models.pace import Pace
from models.run import Progress, TimelineResult, TimelineRun
from models.timeline import TimelineDefinition
from service.settings import TASK_QUEUE
from workflows import search_attributes
from workflows.timeline import TimelineWorkflow

POLL_INTERVAL_S = 0.2


def new_timeline_id(name: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{name}-{stamp}-{secrets.token_hex(2)}"


async def start_timeline(
    client: Client,
    definition: TimelineDefinition,
    pace: Pace,
    timeline_id: str,
    *,
    start_paused: bool = False,
    with_search_attributes: bool = True,
    task_queue: str = TASK_QUEUE,
    rules: int = RULES,
) -> WorkflowHandle[TimelineWorkflow, TimelineResult]:
    """Start a timeline under today's engine rules (or, for a branch, its parent's)."""
    return await client.start_workflow(
        TimelineWorkflow.run,
        TimelineRun(timeline=definition, pace=pace, start_paused=start_paused, rules=rules),
        id=timeline_id,
        task_queue=task_queue,
        static_summary=f"{definition.title} (v{definition.version}, pace {pace})",
        search_attributes=(
            search_attributes.for_timeline(
                definition.id, definition.version, timeline_id, definition.parent, definition.root
            )
            if with_search_attributes
            else None
        ),
    )


async def failure_of(handle: WorkflowHandle[TimelineWorkflow, TimelineResult]) -> str:
    """Why a timeline ended without finishing: the failure its history closes with."""
    async for event in handle.fetch_history_events():
        if event.HasField("workflow_execution_failed_event_attributes"):
            return event.workflow_execution_failed_event_attributes.failure.message
        if event.HasField("workflow_execution_terminated_event_attributes"):
            return event.workflow_execution_terminated_event_attributes.reason or "terminated"
        if event.HasField("workflow_execution_timed_out_event_attributes"):
            return "timed out"
    return "no reason recorded"


async def progress(handle: WorkflowHandle[TimelineWorkflow, TimelineResult]) -> Progress:
    return await handle.query(TimelineWorkflow.progress)


async def follow(
    handle: WorkflowHandle[TimelineWorkflow, TimelineResult],
    on_events: Callable[[list[DomainEvent]], None],
    on_progress: Callable[[Progress], None] | None = None,
) -> TimelineResult:
    """Wait for a timeline to finish, handing over its events as they happen.

    Events come from the workflow's own `events` query rather than the local event store,
    so following works the same when the workers (and their stores) are on other machines.
    """
    result = asyncio.ensure_future(handle.result())
    last_seq = 0
    try:
        while True:
            done, _ = await asyncio.wait({result}, timeout=POLL_INTERVAL_S)
            fresh = await handle.query(TimelineWorkflow.events, last_seq)
            if fresh:
                last_seq = fresh[-1].seq
                on_events(fresh)
            if done:
                return result.result()
            if on_progress is not None:
                on_progress(await progress(handle))
    finally:
        result.cancel()
