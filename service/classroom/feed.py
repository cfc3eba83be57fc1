"""Live feeds of runs for the classroom: one follower per run, however many pages watch it.

A run's follower asks the workflow for its progress and new events a few times a second
while any page listens, and keeps the latest snapshot; each page's stream waits for the
next change and renders what it needs from it. Fifty students cost the server the same
queries as one. A run that has ended is read once from the event store, where its worker
recorded every event, and is not asked again.

A follower is started only for a run that exists (the classroom reads it once first, and
answers 404 for one that does not), and stops soon after its last page has left: a
stranger asking for made-up runs, or leaving, leaves nothing asking Temporal behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from activities.event_store import EventStore
from models.events import DomainEvent
from models.pace import parse_pace
from models.run import Progress, TimelineResult
from models.state import WorldState
from models.timeline import InitialWorld
from models.washington import to_washington
from service.runs import ids as run_ids

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle

    from workflows.timeline import TimelineWorkflow

log = structlog.get_logger("excomm.classroom")

POLL_S = 0.2  # how often a followed run is asked for news: well inside a class's second
# A follower with no page left stops after this long: long enough for a page that reloads
# or changes its view to find it still there, short enough that nobody's leaving costs much.
IDLE_S = 1.5
QUERY_TIMEOUT = timedelta(seconds=5)
# Runs no follower watches are read this many at a time: a crowd asking for a thousand
# made-up runs held as many Temporal calls in flight (80 MB more); the rest wait their turn.
LOOKUPS = 8


def is_run_id(text: str, catalogue: Collection[str] | None = None) -> bool:
    """Whether `text` may name a run, by the one grammar of run ids (service.runs.ids): checked
    before anything else is done with what a path or a query names."""
    return run_ids.problem(text, catalogue) is None


@dataclass(frozen=True)
class Snapshot:
    """A run as the classroom last saw it."""

    run_id: str
    timeline: str
    initial: WorldState
    events: tuple[DomainEvent, ...]
    clock: datetime | None
    paused: bool
    status: str  # running, completed, cancelled, failed, terminated, timed_out, unknown
    parent: str | None = None
    fork_seq: int | None = None
    problem: str | None = None  # why the run cannot be followed
    missing: bool = False  # neither the server nor the store has it

    @property
    def ended(self) -> bool:
        return self.status not in ("running", "unknown")


@dataclass
class _Follower:
    snapshot: Snapshot | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # ask now, not at the next tick
    listeners: int = 0
    idle_since: float = field(default_factory=time.monotonic)
    task: asyncio.Task[None] | None = None


class Feeds:
    """Every followed run of one classroom process."""

    def __init__(self, client: Client, store: EventStore) -> None:
        self._client = client
        self._store = store
        self._followers: dict[str, _Follower] = {}
        self._reading: dict[str, asyncio.Task[Snapshot]] = {}
        self._lookups = asyncio.Semaphore(LOOKUPS)

    @property
    def following(self) -> list[str]:
        """The runs a follower asks about now."""
        return [i for i, f in self._followers.items() if f.task is not None and not f.task.done()]

    @contextlib.asynccontextmanager
    async def listening(self, run_id: str) -> AsyncIterator[_Follower]:
        """Follow a run while the block runs. Only for a run that exists: ask `snapshot`
        first, or a follower asks Temporal about a made-up id for as long as a page waits."""
        follower = self._followers.setdefault(run_id, _Follower())
        follower.listeners += 1
        if follower.task is None or follower.task.done():
            follower.task = asyncio.create_task(self._follow(run_id, follower), name=f"follow {run_id}")
        try:
            yield follower
        finally:
            follower.listeners -= 1
            follower.idle_since = time.monotonic()
            self._forget(run_id, follower)

    async def snapshot(self, run_id: str) -> Snapshot:
        """The run now: its follower's latest, or read once if nobody follows it (pages
        asking at the same moment share that one read, and no follower is left behind)."""
        follower = self._followers.get(run_id)
        if follower is not None and follower.snapshot is not None:
            return follower.snapshot
        if follower is not None and follower.task is not None and not follower.task.done():
            while follower.snapshot is None:
                await follower.changed.wait()  # replaced, never cleared: other pages wait on it too
            return follower.snapshot
        reading = self._reading.get(run_id)
        if reading is None:
            reading = asyncio.create_task(self._read_once(run_id), name=f"read {run_id}")
            self._reading[run_id] = reading
            reading.add_done_callback(lambda _: self._reading.pop(run_id, None))
        return await asyncio.shield(reading)  # one page leaving does not cancel the others' read

    def nudge(self, run_id: str) -> None:
        """A control was sent: ask at once rather than at the next tick."""
        follower = self._followers.get(run_id)
        if follower is not None:
            follower.wake.set()

    async def close(self) -> None:
        tasks: list[asyncio.Task[Any]] = [f.task for f in self._followers.values() if f.task is not None]
        tasks += self._reading.values()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _forget(self, run_id: str, follower: _Follower, stopping: bool = False) -> None:
        """Drop a follower that has stopped and that no page listens to: nothing is kept
        for a run nobody watches (its next page reads it afresh)."""
        stopped = stopping or follower.task is None or follower.task.done()
        if follower.listeners == 0 and stopped and self._followers.get(run_id) is follower:
            del self._followers[run_id]

    # --- following ------------------------------------------------------------------------------

    async def _follow(self, run_id: str, follower: _Follower) -> None:
        try:
            await self._poll(run_id, follower)
        finally:
            self._forget(run_id, follower, stopping=True)

    async def _poll(self, run_id: str, follower: _Follower) -> None:
        handle = self._client.get_workflow_handle_for(_timeline_run(), run_id)
        while True:
            try:
                current = await self._read(run_id, handle, follower.snapshot)
            except Exception as exc:  # a page shows why; the follower keeps trying
                before = follower.snapshot.problem if follower.snapshot is not None else None
                if str(exc) != before:  # said once, not five times a second
                    log.warning("cannot follow run", run=run_id, error=str(exc))
                current = _unknown(run_id, follower.snapshot, str(exc))
            if current != follower.snapshot:
                follower.snapshot = current
                follower.changed.set()
                follower.changed = asyncio.Event()
            if (current.ended and current.problem is None) or current.missing:
                return  # what it recorded will not change, or there is nothing to follow
            if follower.listeners == 0 and time.monotonic() - follower.idle_since >= IDLE_S:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(follower.wake.wait(), POLL_S)
            follower.wake.clear()

    async def _read_once(self, run_id: str) -> Snapshot:
        handle = self._client.get_workflow_handle_for(_timeline_run(), run_id)
        try:
            async with self._lookups:
                return await self._read(run_id, handle, None)
        except Exception as exc:  # the page says why
            return _unknown(run_id, None, str(exc))

    async def _read(
        self, run_id: str, handle: WorkflowHandle[TimelineWorkflow, TimelineResult], before: Snapshot | None
    ) -> Snapshot:
        from temporalio.service import RPCError, RPCStatusCode

        from service.runs.lifecycle import run_status
        from workflows.timeline import TimelineWorkflow

        # The status is asked every time: a run cancelled, terminated or failed still answers
        # queries (the worker replays it), and would go on looking paused.
        try:
            description = await handle.describe(rpc_timeout=QUERY_TIMEOUT)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            return self._recorded(run_id, "unknown")
        status = run_status(description.status)
        if status != "running":
            return self._recorded(run_id, status)
        progress = await handle.query(TimelineWorkflow.progress, rpc_timeout=QUERY_TIMEOUT)
        if before is not None and before.status == "running":
            after = before.events[-1].seq if before.events else 0
            new = (
                await handle.query(TimelineWorkflow.events, after, rpc_timeout=QUERY_TIMEOUT)
                if progress.last_seq > after
                else []
            )
            return replace(
                before,
                events=(*before.events, *new),
                clock=shown_clock(progress, datetime.now(UTC)),
                paused=progress.paused,
                problem=None,
            )
        initial = await handle.query(TimelineWorkflow.initial_state, rpc_timeout=QUERY_TIMEOUT)
        events = await handle.query(TimelineWorkflow.events, rpc_timeout=QUERY_TIMEOUT)
        stored = self._store.timeline(run_id)
        return Snapshot(
            run_id,
            progress.timeline,
            initial,
            tuple(events),
            shown_clock(progress, datetime.now(UTC)),
            progress.paused,
            status,
            parent=stored.parent if stored is not None else None,
            fork_seq=stored.fork_seq if stored is not None else None,
        )

    def _recorded(self, run_id: str, status: str) -> Snapshot:
        stored = self._store.timeline(run_id)
        if stored is None:
            return Snapshot(
                run_id,
                run_id,
                WorldState.initial(InitialWorld()),
                (),
                None,
                False,
                "unknown",
                problem=f"no run {run_id!r} on the server or in the store",
                missing=True,
            )
        events = tuple(self._store.events(run_id))
        return Snapshot(
            run_id,
            stored.name,
            WorldState.initial(stored.initial),
            events,
            events[-1].at if events else None,
            False,
            stored.status or ("completed" if status == "unknown" else status),
            parent=stored.parent,
            fork_seq=stored.fork_seq,
        )


def _timeline_run() -> Any:
    from workflows.timeline import TimelineWorkflow

    return TimelineWorkflow.run


def _unknown(run_id: str, before: Snapshot | None, problem: str) -> Snapshot:
    if before is not None:
        return replace(before, problem=problem)
    return Snapshot(
        run_id, run_id, WorldState.initial(InitialWorld()), (), None, False, "unknown", problem=problem
    )


def shown_clock(progress: Progress, now: datetime) -> datetime:
    """The simulated now a page shows: the workflow's clock, moved on by the pace during a
    paced wait, by this process's real clock (a query's clock stands still between the
    workflow's tasks, so a page running at pace would show the time only as events come),
    and never past the instant the wait runs to."""
    if progress.waiting_since is None or progress.waiting_from is None or progress.waiting_until is None:
        return progress.clock
    if progress.paused or progress.clock_paused:
        return progress.clock
    moved = progress.waiting_from + parse_pace(progress.pace).simulated_span(
        max(now - progress.waiting_since, timedelta(0))
    )
    return to_washington(min(progress.waiting_until, max(progress.clock, moved)))
