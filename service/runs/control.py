"""A timeline's life on Temporal, for every user: replay, start, status, steer, moves,
branches and lineage, and the events of any run (the store's, else the server's).

Each function is one thing a user asks; it owns its connection, workflow handles and store
reads, and fails with the errors of service.errors (or the domain's own), one line each.
The Temporal SDK is imported inside the functions that talk to a server, so that commands
that never do start quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from activities.event_store import EventStore, StoredTimeline
from activities.stores import open_store
from models.events import DomainEvent, EventSuppressed
from models.pace import INSTANT, Pace
from models.run import Progress, TimelineResult, TimelineRun
from models.simulation import initial_state, simulate
from models.state import WorldState, fold
from models.timeline import TimelineDefinition
from service.errors import Invalid, Refused
from service.runs import ids as run_ids
from service.runtime.settings import event_store_location
from timelines.loader import (
    UnknownTimeline,
    is_catalogue_name,
    load_behaviour,
    load_timeline,
    plan_of,
)

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle

    from service.runs.lifecycle import RunSummary
    from workflows.timeline import TimelineWorkflow


def store() -> EventStore:
    return open_store(event_store_location())


def store_note() -> str | None:
    """A word on the event store where a user may not expect it: a relative path, which
    names another file from another folder."""
    location = event_store_location()
    if isinstance(location, Path) and not location.is_absolute():
        return f"the event store is {store().location}"
    return None


async def timeline_events(name: str) -> tuple[WorldState, list[DomainEvent]]:
    """The events of a catalogue timeline or file, or of a run by id (store, else server)."""
    if is_catalogue_name(name) or not could_be_run_id(name):
        definition = load_timeline(name)
        return initial_state(definition), list(simulate(definition))
    stored = store().timeline(name)
    if stored is not None:
        return WorldState.initial(stored.initial), store().events(name)
    from service.runtime.connection import ConnectionFailed
    from service.runtime.session import connect_running
    from workflows.timeline import TimelineWorkflow

    try:
        client = await connect_running()
    except ConnectionFailed:
        raise UnknownTimeline(name) from None
    handle: WorkflowHandle[TimelineWorkflow, TimelineResult] = client.get_workflow_handle_for(
        TimelineWorkflow.run, name
    )
    async with _known(name, client):
        initial = await handle.query(TimelineWorkflow.initial_state)
    return initial, await handle.query(TimelineWorkflow.events)


def could_be_run_id(name: str) -> bool:
    """A run id, not a file: files are named by a path (with a folder or a .yaml suffix);
    anything else must then be a run id (service.runs.ids), or it is refused."""
    if name.endswith((".yaml", ".yml")) or "/" in name or Path(name).exists():
        return False
    run_ids.checked(name)
    return True


async def run_input(timeline_id: str) -> TimelineRun | None:
    """A run's own input (its definition as it started, seed and settings included, and its
    engine rules), read from its history on the server; None with no server that holds it."""
    from temporalio.service import RPCError

    from service.runs.branching import parent_run
    from service.runtime.connection import ConnectionFailed
    from service.runtime.session import connect_running

    run_ids.checked(timeline_id)
    try:
        return await parent_run(await connect_running(), timeline_id)
    except (ConnectionFailed, RPCError):
        return None


@dataclass(frozen=True)
class LineageNode:
    timeline: StoredTimeline
    events: list[DomainEvent]
    world: WorldState
    fork_seq: int | None
    children: list[LineageNode] = field(default_factory=list)


def lineage(timeline_id: str) -> LineageNode:
    """A timeline's lineage in the store, from its root: every branch and its fork point."""
    run_ids.checked(timeline_id)
    recorded = store()
    stored = recorded.timeline(timeline_id)
    if stored is None:
        raise Invalid(f"no recorded timeline {timeline_id!r} in {recorded.location}")
    seen = {stored.timeline_id}
    while stored.parent is not None and (parent := recorded.timeline(stored.parent)) is not None:
        if parent.timeline_id in seen:
            break
        seen.add(parent.timeline_id)
        stored = parent

    def node(record: StoredTimeline, fork_seq: int | None) -> LineageNode:
        events = recorded.events(record.timeline_id)
        world = fold(WorldState.initial(record.initial), events)
        children = []
        for child_id, child_fork in recorded.branches(record.timeline_id):
            child = recorded.timeline(child_id)
            if child is not None:
                children.append(node(child, child_fork))
        return LineageNode(record, events, world, fork_seq, children)

    return node(stored, None)


# --- runs on Temporal ----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _known(timeline_id: str, client: Client) -> AsyncIterator[None]:
    """Turn the server's 'not found' into one line naming the id, and the id the user
    may have meant."""
    from temporalio.service import RPCError, RPCStatusCode

    try:
        yield
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        close = await _close_ids(client, timeline_id)
        hint = f"did you mean {close!r}?" if close else "`excomm list` lists them"
        raise Invalid(f"no timeline {timeline_id!r} on the server ({hint})") from None


async def _close_ids(client: Client, timeline_id: str) -> str | None:
    import difflib

    ids = {t.timeline_id for t in store().timelines()}
    with contextlib.suppress(Exception):  # a suggestion is a courtesy: never fail for it
        async for execution in client.list_workflows("WorkflowType = 'Timeline'", limit=2000):
            ids.add(execution.id)
    close = difflib.get_close_matches(timeline_id, sorted(ids), n=1, cutoff=0.7)
    return close[0] if close else None


async def _handle(timeline_id: str) -> tuple[Client, WorkflowHandle[TimelineWorkflow, TimelineResult]]:
    from service.runtime.session import connect_running
    from workflows.timeline import TimelineWorkflow

    run_ids.checked(timeline_id)
    client = await connect_running()
    return client, client.get_workflow_handle_for(TimelineWorkflow.run, timeline_id)


async def _claim(client: Client, timeline_id: str, replace: bool) -> None:
    """An id names one timeline for ever: refuse one already taken, unless replace."""
    from service.runs.lifecycle import claim_id

    run_ids.checked(timeline_id)
    await claim_id(client, store(), timeline_id, replace)


@dataclass
class Replay:
    """What `replay` reports as it goes: the run's id first, then events, progress, trouble."""

    on_started: Callable[[str], None] = lambda _: None
    on_events: Callable[[list[DomainEvent]], None] = lambda _: None
    on_progress: Callable[[Progress], None] | None = None
    on_trouble: Callable[[str, str | None], None] | None = None


class Interrupted(Exception):
    """A replay stopped by Ctrl-C: its run cancelled, or left running (detach)."""

    def __init__(self, run_id: str, cancelled: bool) -> None:
        super().__init__(run_id)
        self.run_id = run_id
        self.cancelled = cancelled


async def replay(
    definition: TimelineDefinition,
    pace: Pace = INSTANT,
    run_id: str | None = None,
    replace: bool = False,
    detach: bool = False,
    report: Replay | None = None,
) -> tuple[str, TimelineResult]:
    """Run a timeline through Temporal (starting the home's server if need be) and follow
    it to its end. Cancelled (Ctrl-C, a task cancelled) it cancels the run, unless detach."""
    from service.runs.lifecycle import NotRunning, cancel_run, follow, new_timeline_id, start_timeline
    from service.runtime.session import session

    report = report or Replay()
    chosen = run_ids.checked(run_id) if run_id is not None else new_timeline_id(definition.id)
    async with session(with_worker=True) as client:
        await _claim(client, chosen, replace)
        handle = await start_timeline(client, definition, pace, chosen)
        report.on_started(chosen)
        trouble = report.on_trouble
        try:
            result = await follow(
                handle,
                report.on_events,
                report.on_progress,
                (lambda text: trouble(chosen, text)) if trouble is not None else None,
                store=store(),
            )
        except (asyncio.CancelledError, KeyboardInterrupt):
            if not detach:
                with contextlib.suppress(NotRunning):  # it may have just finished
                    await cancel_run(client, chosen)
            raise Interrupted(chosen, cancelled=not detach) from None
    return chosen, result


async def start(
    definition: TimelineDefinition,
    pace: Pace = INSTANT,
    run_id: str | None = None,
    paused: bool = False,
    replace: bool = False,
) -> str:
    """Start a timeline on a running server and return its id at once."""
    from temporalio.exceptions import WorkflowAlreadyStartedError

    from service.runs.lifecycle import new_timeline_id, start_timeline
    from service.runtime.session import connect_running

    chosen = run_ids.checked(run_id) if run_id is not None else new_timeline_id(definition.id)
    client = await connect_running()
    await _claim(client, chosen, replace)
    try:
        await start_timeline(client, definition, pace, chosen, start_paused=paused)
    except WorkflowAlreadyStartedError:
        raise Refused(f"a timeline with id {chosen!r} is already running") from None
    return chosen


@dataclass(frozen=True)
class RunReport:
    """Where a run stands, as `status` shows it."""

    id: str
    status: str
    failure: str | None = None  # why it failed, was terminated or timed out
    progress: Progress | None = None
    world: WorldState | None = None
    suppressed: list[EventSuppressed] = field(default_factory=list)
    trouble: str | None = None  # why it cannot go on just now (a failing activity, retried)


async def status(timeline_id: str) -> RunReport:
    from service.runs.lifecycle import failure_of, progress, run_status, trouble
    from workflows.timeline import TimelineWorkflow

    client, handle = await _handle(timeline_id)
    async with _known(timeline_id, client):
        description = await handle.describe()
    state = run_status(description.status)
    if state in ("failed", "terminated", "timed_out"):
        # A timeline that could not run says why, rather than failing every query after it.
        return RunReport(timeline_id, state, failure=await failure_of(handle))
    current = await progress(handle)
    world = await handle.query(TimelineWorkflow.state)
    suppressed = await handle.query(TimelineWorkflow.suppressed)
    waiting = await trouble(handle) if state == "running" else None
    return RunReport(timeline_id, state, None, current, world, suppressed, waiting)


@dataclass(frozen=True)
class RunList:
    runs: list[RunSummary]
    server_reachable: bool


async def runs(
    timeline: str | None = None, state: str | None = None, lineage_of: str | None = None
) -> RunList:
    """The runs on the server (if one runs) and in the store, newest last, filtered."""
    from service.runs.lifecycle import list_runs
    from service.runtime.connection import ConnectionFailed
    from service.runtime.session import connect_running

    client: Client | None
    try:
        client = await connect_running()
    except ConnectionFailed:
        client = None  # no server: what the store holds
    found = await list_runs(client, store())
    if timeline is not None:
        found = [r for r in found if r.timeline == timeline]
    if state is not None:
        found = [r for r in found if r.status == state]
    if lineage_of is not None:
        found = [r for r in found if lineage_of in (r.id, r.root)]
    return RunList(found, client is not None)


async def cancel(timeline_id: str) -> None:
    """Cancel a running timeline (and its phases' child workflows); its record stays."""
    from service.runs.lifecycle import cancel_run

    client, _ = await _handle(timeline_id)
    async with _known(timeline_id, client):
        await cancel_run(client, timeline_id)


Steering = Literal["pause", "resume", "step_day"]


async def steer(timeline_id: str, action: Steering) -> str:
    """Pause, resume or step a running timeline's clock; says what it did."""
    from service.runs.lifecycle import progress, run_status

    client, handle = await _handle(timeline_id)
    async with _known(timeline_id, client):
        description = await handle.describe()
    state = run_status(description.status)
    verb = action.replace("_", "-")
    if state != "running":
        raise Refused(f"timeline {timeline_id!r} has ended ({state}): it takes no {verb}")
    current = await progress(handle)
    # Whether the clock is paused, not whether the run is held: a run stepping a day is
    # not held until it has recorded that day, and a second step sent meanwhile (a teacher
    # pressing the space bar twice) must add a day, not be refused as "running".
    paused = current.clock_paused if current.clock_paused is not None else current.paused
    if action == "step_day" and not paused:
        raise Refused(f"timeline {timeline_id!r} is running, not paused: pause it before step-day")
    if action == "pause" and paused:
        return f"{timeline_id} is already paused"
    if action == "resume" and not paused:
        return f"{timeline_id} is not paused"
    await handle.signal(action)
    return f"{action} sent to {timeline_id}"


async def step_days(timeline_id: str, days: int) -> None:
    """Step a run that was started paused by `days` days at once (each step_day adds a
    day to the stretch it runs). Unlike `steer`, it does not wait for the run to be seen
    holding: a run just started paused may not have reached its first hold yet."""
    _, handle = await _handle(timeline_id)
    for _ in range(days):
        await handle.signal("step_day")


async def send_move(timeline_id: str, kind: str, fields: dict[str, object]) -> tuple[str, datetime]:
    """Send a move to a running timeline; returns its kind and simulated instant, or
    Refused with the reason the timeline gave."""
    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.exceptions import ApplicationError

    from service.runs.lifecycle import run_status
    from workflows.timeline import TimelineWorkflow

    client, handle = await _handle(timeline_id)
    async with _known(timeline_id, client):
        description = await handle.describe()
    state = run_status(description.status)
    if state != "running":
        raise Refused(f"timeline {timeline_id!r} has ended ({state}): it takes no more moves")
    try:
        receipt = await handle.execute_update(TimelineWorkflow.submit_move, {**fields, "kind": kind})
    except WorkflowUpdateFailedError as exc:
        reason = exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc.cause)
        raise Refused(f"move refused: {reason}") from None
    return receipt.kind, receipt.at


async def branch(
    parent_id: str,
    *,
    at: datetime | None = None,
    after_seq: int | None = None,
    moves: list[dict[str, object]] | None = None,
    variant: str | None = None,
    behaviour: str | None = None,
    seed: int = 0,
    branch_id: str | None = None,
    pace: Pace | None = INSTANT,
    replace: bool = False,
    paused: bool = False,
    clock: datetime | None = None,
) -> tuple[str, int | None]:
    """Fork a run into a new one that takes other moves from a past point; returns the
    branch's id and the seq it was forked after. The parent is never touched. With no
    pace the branch runs at its parent's; `paused`, it starts held at its start. `clock`,
    a running parent's simulated clock, lets the fork be at that instant, past its last
    event (the classroom forks where the class stands)."""
    from service.runs.branching import fork, parent_run
    from service.runs.lifecycle import start_timeline
    from service.runtime.session import connect_running

    run_ids.checked(parent_id)
    if branch_id is not None:
        run_ids.checked(branch_id)
    plan_definition = plan_of(variant) if variant is not None else None
    drawing = load_behaviour(behaviour) if behaviour is not None else None
    client = await connect_running()
    async with _known(parent_id, client):
        run = await parent_run(client, parent_id)
    _, parent_events = await timeline_events(parent_id)
    definition = fork(
        parent_id,
        run.timeline,
        parent_events,
        at=at,
        after_seq=after_seq,
        moves=moves or [],
        plan=plan_definition,
        behaviour=drawing,
        seed=seed,
        until=clock,
        rules=run.rules,
        behaviour_name=behaviour,
    )
    new_id = branch_id or f"{parent_id}.branch-{secrets.token_hex(3)}"
    if new_id == parent_id:
        raise Refused(f"a branch cannot take its parent's id {parent_id!r}")
    await _claim(client, new_id, replace)
    # The branch runs under its parent's engine rules, so it reproduces the parent exactly.
    await start_timeline(client, definition, pace or run.pace, new_id, start_paused=paused, rules=run.rules)
    return new_id, definition.fork_seq
