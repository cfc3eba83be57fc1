"""Starting timelines on Temporal and following them: shared by every command that runs one."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.service import RPCError, RPCStatusCode

from activities.event_store import EventStore, StoredTimeline, StoreUnavailable
from models.engine import RULES
from models.errors import ExcommError
from models.events import DomainEvent
from models.pace import Pace
from models.run import Progress, TimelineResult, TimelineRun
from models.timeline import TimelineDefinition
from service.runtime.settings import TASK_QUEUE
from workflows import search_attributes
from workflows.timeline import TimelineWorkflow

POLL_INTERVAL_S = 0.2
QUERY_PATIENCE_S = 60.0
# A query is answered by the worker that last ran the timeline; when that worker has just
# stopped (another command ending), the server may hold the query for it until the RPC's
# deadline before it asks another. A short deadline, asked again, bounds that wait.
QUERY_TIMEOUT = timedelta(seconds=5)
TROUBLE_EVERY = 10  # polls: look for a failing activity every two seconds
TRANSIENT = {
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.RESOURCE_EXHAUSTED,
}


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


async def progress(
    handle: WorkflowHandle[TimelineWorkflow, TimelineResult], rpc_timeout: timedelta | None = None
) -> Progress:
    return await handle.query(TimelineWorkflow.progress, rpc_timeout=rpc_timeout)


async def trouble(handle: WorkflowHandle[TimelineWorkflow, TimelineResult]) -> str | None:
    """Why a running timeline cannot go on, if it cannot: an activity failing, retried.

    Retrying is right for a durable timeline (a full disk can be cleared), but whoever
    follows it must be told, not left watching a clock that has stopped.
    """
    description = await handle.describe()
    for pending in description.raw_description.pending_activities:
        if pending.attempt >= 2 and pending.HasField("last_failure"):
            return f"{pending.last_failure.message} (attempt {pending.attempt})"
    return None


async def follow(
    handle: WorkflowHandle[TimelineWorkflow, TimelineResult],
    on_events: Callable[[list[DomainEvent]], None],
    on_progress: Callable[[Progress], None] | None = None,
    on_trouble: Callable[[str | None], None] | None = None,
    store: EventStore | None = None,
) -> TimelineResult:
    """Wait for a timeline to finish, handing over its events as they happen, and what
    stops it (to `on_trouble`, once when it starts, with None once it clears).

    Events come from the workflow's own `events` query rather than the local event store,
    so following works the same when the workers (and their stores) are on other machines.
    Once the timeline has finished, its last events are taken from `store` when it holds
    every one of them: a query on a finished timeline needs a worker to replay it, and
    the one that ran it may have gone.
    """
    result = asyncio.ensure_future(handle.result())
    last_seq = 0
    loop = asyncio.get_running_loop()
    failing_since: float | None = None
    troubled: str | None = None
    polls = 0
    try:
        while True:
            done, _ = await asyncio.wait({result}, timeout=POLL_INTERVAL_S)
            polls += 1
            if on_trouble is not None and not done and polls % TROUBLE_EVERY == 0:
                now = await trouble(handle)
                # Reported when it starts and when it clears, not at every retry.
                if (now is None) != (troubled is None):
                    on_trouble(now)
                troubled = now
            try:
                fresh = _finished_tail(store, handle.id, last_seq, result.result()) if done else None
                if fresh is None:
                    fresh = await handle.query(TimelineWorkflow.events, last_seq, rpc_timeout=QUERY_TIMEOUT)
                if fresh:
                    last_seq = fresh[-1].seq
                    on_events(fresh)
                if done:
                    if troubled is not None and on_trouble is not None:
                        on_trouble(None)  # it went on, and has finished since
                    return result.result()
                if on_progress is not None:
                    on_progress(await progress(handle, QUERY_TIMEOUT))
            except RPCError as exc:
                # A query lands on the worker that last ran the timeline; when that worker
                # stops (another command ending), the query fails until the timeline moves
                # to a live worker. The timeline itself is unharmed: ask again.
                failing_since = failing_since or loop.time()
                if exc.status not in TRANSIENT or loop.time() - failing_since > QUERY_PATIENCE_S:
                    raise
                structlog.get_logger().debug("query failed; asking again", timeline=handle.id)
            else:
                failing_since = None
    finally:
        result.cancel()


def _finished_tail(
    store: EventStore | None, timeline_id: str, after_seq: int, result: TimelineResult
) -> list[DomainEvent] | None:
    """A finished timeline's events after `after_seq` from the store, if it holds them all
    (seq after seq up to the last the timeline recorded); None to ask the workflow."""
    if store is None:
        return None
    try:
        tail = store.events(timeline_id, after_seq)
    except StoreUnavailable:  # only a shortcut: the query is the authority
        return None
    expected = list(range(after_seq + 1, result.state.last_seq + 1))
    return tail if [event.seq for event in tail] == expected else None


@dataclass(frozen=True)
class RunSummary:
    """A timeline as `excomm list` shows it, from the server and the event store together."""

    id: str
    timeline: str | None
    version: int | None
    status: str  # running, completed, cancelled, failed, terminated, ...; recorded if only stored
    clock: str | None  # the simulated instant it stands at (running) or reached (ended)
    parent: str | None
    root: str
    started: str | None
    on_server: bool
    in_store: bool


def run_status(status: WorkflowExecutionStatus | None) -> str:
    """A run's status in excomm's words: running, completed, cancelled, failed, ..."""
    name = status.name.lower() if status is not None else "unknown"
    return "cancelled" if name == "canceled" else name


def _status(execution: WorkflowExecution) -> str:
    return run_status(execution.status)


async def list_runs(client: Client | None, store: EventStore) -> list[RunSummary]:
    """Every timeline the server knows (if one is reachable) and every one the store holds."""
    stored = {t.timeline_id: t for t in store.timelines()}
    found: dict[str, RunSummary] = {}
    if client is not None:
        async for execution in client.list_workflows("WorkflowType = 'Timeline'"):
            earlier = found.get(execution.id)
            started = execution.start_time.isoformat() if execution.start_time else ""
            if earlier is not None and (earlier.started or "") >= started:
                continue  # an id replaced (--replace): its newest run is the timeline
            attributes = execution.typed_search_attributes
            record = stored.get(execution.id)
            version = attributes.get(search_attributes.TIMELINE_VERSION)
            status = _status(execution)
            clock = record.last_at if record is not None else None
            if status == "running":
                try:
                    current = await client.get_workflow_handle_for(TimelineWorkflow.run, execution.id).query(
                        TimelineWorkflow.progress
                    )
                    clock = current.clock.isoformat()
                except RPCError:
                    pass  # no worker polling just now: the clock is what the store last saw
            found[execution.id] = RunSummary(
                id=execution.id,
                timeline=attributes.get(search_attributes.TIMELINE) or (record.name if record else None),
                version=version or (record.version if record else None),
                status=status,
                clock=clock,
                parent=attributes.get(search_attributes.PARENT) or (record.parent if record else None),
                root=attributes.get(search_attributes.ROOT) or execution.id,
                started=execution.start_time.isoformat() if execution.start_time else None,
                on_server=True,
                in_store=record is not None,
            )
    for record in stored.values():
        if record.timeline_id not in found:
            found[record.timeline_id] = RunSummary(
                id=record.timeline_id,
                timeline=record.name,
                version=record.version,
                status=record.status or "recorded",
                clock=record.last_at,
                parent=record.parent,
                root=_root(stored, record.timeline_id),
                started=record.created_at,
                on_server=False,
                in_store=True,
            )
    return sorted(found.values(), key=lambda run: run.started or "")


def _root(stored: dict[str, StoredTimeline], timeline_id: str) -> str:
    seen = {timeline_id}
    while (parent := stored[timeline_id].parent) is not None and parent in stored and parent not in seen:
        timeline_id = parent
        seen.add(parent)
    return timeline_id


class IdTaken(ExcommError):
    """A timeline id already names a timeline, on the server or in the store."""


async def claim_id(client: Client, store: EventStore, timeline_id: str, replace: bool) -> None:
    """An id names one timeline for ever: refuse one the server or the store already has,
    unless `replace`, which cancels the old one (if running) and archives its records."""
    on_server = None
    try:
        on_server = await client.get_workflow_handle(timeline_id).describe()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    in_store = store.timeline(timeline_id) is not None
    if on_server is None and not in_store:
        return
    where = " and ".join(
        w for w, there in (("the server", on_server is not None), ("the store", in_store)) if there
    )
    if not replace:
        raise IdTaken(
            f"timeline id {timeline_id!r} is already taken (on {where}): choose another --id, "
            "or --replace to cancel and archive the old one"
        )
    if on_server is not None and on_server.status == WorkflowExecutionStatus.RUNNING:
        handle = client.get_workflow_handle(timeline_id)
        await handle.cancel()
        with contextlib.suppress(WorkflowFailureError):
            await handle.result()
    if in_store:
        store.archive(timeline_id, datetime.now(UTC).strftime("%Y%m%dT%H%M%S"))


class NotRunning(ExcommError):
    """A timeline that has already ended, asked to do what only a running one can."""


async def cancel_run(client: Client, timeline_id: str) -> None:
    """Cancel a running timeline (and its children); what it recorded stays, marked
    cancelled. NotRunning, saying how it ended, if it is not running."""
    handle = client.get_workflow_handle(timeline_id)
    description = await handle.describe()
    if description.status != WorkflowExecutionStatus.RUNNING:
        raise NotRunning(f"timeline {timeline_id!r} is not running: it is {run_status(description.status)}")
    await handle.cancel()
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()
