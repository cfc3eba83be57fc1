"""excomm's front door: one function for each thing a user can ask of it.

The command line calls one of these per command and renders what it returns; an analyst
can call the same from a notebook (`await api.status("lesson")`). They own connections,
workflow handles and store reads, and fail with the errors of service.errors (or the
domain's own), each a one-line message.

The Temporal SDK is imported inside the functions that talk to a server, so that the
commands that never do (plan, validate, graph, dry-run, a local ensemble) start quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from activities.event_store import EventStore, StoredTimeline
from activities.stores import open_store
from models.ensemble import EnsembleTable
from models.events import DomainEvent, EventSuppressed
from models.members import Row
from models.outline import outline
from models.pace import INSTANT, Pace
from models.parameters import Range
from models.plan import PlanDefinition
from models.run import Progress, TimelineResult
from models.sides import Side
from models.simulation import initial_state, simulate
from models.state import WorldState, fold, state_at
from models.timeline import TimelineDefinition
from models.washington import to_washington
from service import run_ids
from service.comparison import Comparison, compare
from service.errors import BadUsage, Invalid, Refused
from service.explore import explore_locally, explore_recorded
from service.graph import mermaid, mermaid_timeline
from service.plan_diff import plan_diff
from service.settings import TASK_QUEUE, event_store_location
from service.sweep import Sweep
from timelines.citations import Source
from timelines.citations import resolve as resolve_citation
from timelines.loader import (
    UnknownTimeline,
    catalogue_names,
    is_catalogue_name,
    load_any,
    load_behaviour,
    load_timeline,
    plan_of,
)

if TYPE_CHECKING:
    import pandas as pd
    from temporalio.client import Client, WorkflowHandle

    from service.discovery import Discovery
    from service.exports import Format, Telling
    from service.runs import RunSummary
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


# --- plans and timelines as data (no server) -------------------------------------------


def catalogue() -> list[TimelineDefinition]:
    """The catalogue's timelines and plans, as timelines."""
    return [load_timeline(name) for name in catalogue_names()]


def check(name_or_path: str) -> PlanDefinition | TimelineDefinition:
    """Load a file (or catalogue entry) as `validate` does; raises FileProblems."""
    return load_any(name_or_path)


def graph(name: str) -> str:
    """A plan (or a timeline's plan) as a Mermaid flowchart; the record as a Mermaid timeline."""
    loaded = load_any(name)
    if isinstance(loaded, PlanDefinition):
        return mermaid(loaded)
    return mermaid(loaded.plan) if loaded.plan is not None else mermaid_timeline(loaded)


def diff_variant(base: str, variant: str) -> list[str]:
    return plan_diff(plan_of(base), plan_of(variant))


def plan_outline(name: str) -> tuple[PlanDefinition, list[tuple[int, str, str]]]:
    definition = plan_of(name)
    return definition, outline(definition)


@dataclass(frozen=True)
class DryRun:
    definition: TimelineDefinition
    initial: WorldState
    events: list[DomainEvent]
    world: WorldState
    elapsed_s: float


def dry_run(name: str, seed: int, settings: list[str] | None = None) -> DryRun:
    """Run a plan or timeline in-process on a virtual clock: no server."""
    definition = timeline_with(name, seed, settings)
    started = time.perf_counter()
    events = simulate(definition)
    elapsed = time.perf_counter() - started
    initial = initial_state(definition)
    return DryRun(definition, initial, list(events), fold(initial, events), elapsed)


def source(citation: str) -> Source:
    found = resolve_citation(citation)
    if found is None:
        raise Invalid(
            f"no source {citation!r}: cite a FRUS document as 'FRUS 1961-63 v06 d65' or "
            "'FRUS 1961-63 v10-12 mSupp 365', or a work by its key in timelines/sources/bibliography.yaml"
        )
    return found


def plan_with(variant: str, settings: list[str] | None = None) -> PlanDefinition:
    """A plan by name or file, with each `PATH=VALUE` of `settings` set (models.parameters)."""
    from models.parameters import with_settings

    return with_settings(plan_of(variant), settings or [])


def timeline_with(name: str, seed: int = 0, settings: list[str] | None = None) -> TimelineDefinition:
    """A timeline by name or file; or a plan's, its parameters set and its behaviour drawn
    with `seed`: the member an ensemble of that plan runs with that seed."""
    if not settings:
        return load_timeline(name, seed)
    from models.ensemble import member

    loaded = load_any(name)
    if not isinstance(loaded, PlanDefinition):
        raise Invalid(f"--set changes a plan's parameters, and {name} is a timeline: set them in its plan")
    return member(plan_with(name, settings), seed)


def explore(
    variant: str,
    runs: int,
    seed: int,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    plot_to: Path | None = None,
    members_to: Path | None = None,
    settings: list[str] | None = None,
) -> EnsembleTable:
    """N seeded members of a variant, tabulated, in-process over worker processes; with
    `members_to`, a row per member written there too (Parquet, CSV or JSON Lines);
    `settings` set the plan's parameters first (`deadline=48h`)."""
    definition = plan_with(variant, settings)
    _can_write(plot_to)
    if members_to is None:
        result = explore_locally(definition, runs, seed, workers, on_progress)
    else:
        from service.tables import check_writable, frame, write_table

        check_writable(members_to, "--members")
        result, rows = explore_recorded(definition, runs, seed, workers, on_progress)
        write_table(frame(rows), members_to, "--members")
    _plot(result, plot_to)
    return result


async def explore_durably(
    variant: str,
    runs: int,
    seed: int,
    workers: int | None = None,
    batch: int = 500,
    on_progress: Callable[[int], None] | None = None,
    plot_to: Path | None = None,
    settings: list[str] | None = None,
) -> EnsembleTable:
    """The same ensemble as a durable workflow, its batches on whatever workers poll
    (`workers` worker processes started here; by default one per core)."""
    from service.explore import explore_on_temporal

    definition = plan_with(variant, settings)
    _can_write(plot_to)
    async with _ensemble_workers(workers) as (client, count):
        result = await explore_on_temporal(
            client, definition, runs, seed, count, batch, on_progress=on_progress
        )
    _plot(result, plot_to)
    return result


@contextlib.asynccontextmanager
async def _ensemble_workers(workers: int | None) -> AsyncIterator[tuple[Client, int]]:
    """A client, and `workers` worker processes started for an ensemble (one per core by
    default); with none, the workers already polling, refused at once if there are none."""
    import os

    from service.session import session
    from service.workers import polling_workers, worker_processes

    count = (os.cpu_count() or 1) if workers is None else workers
    async with session(with_worker=False) as client, worker_processes(client, count):
        if count == 0 and not await polling_workers(client, activities=True):
            raise Refused(
                f"no worker polls task queue {TASK_QUEUE!r} on {client.service_client.config.target_host}: "
                "run `excomm worker` (or `excomm server`), or give --workers N"
            )
        yield client, count


def ranges(plan: PlanDefinition, varies: list[str]) -> list[Range]:
    """Each `PATH=LOW..HIGH` of a sweep, checked against the plan: one located error if not."""
    from models.parameters import BadParameter, parse_range

    if not varies:
        raise BadUsage(
            "a sweep varies at least one parameter: --vary PATH=LOW..HIGH, as --vary deadline=24h..120h"
        )
    found: list[Range] = []
    for text in varies:
        try:
            found.append(parse_range(plan, text))
        except BadParameter as exc:
            raise BadUsage(f"invalid --vary {text}: {exc}") from None
    paths = [r.parameter.path for r in found]
    if len(set(paths)) != len(paths):
        raise BadUsage(f"--vary names {max(paths, key=paths.count)} twice: vary a parameter once")
    return found


def sweep(
    variant: str,
    varies: list[str],
    points: int,
    runs: int,
    seed: int,
    sampler: str = "lhs",
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    table_to: Path | None = None,
    plot_to: Path | None = None,
    members_to: Path | None = None,
) -> Sweep:
    """Sample the plan's parameters over their ranges, run an ensemble at each point
    in-process, and tabulate the outcome shares by point (service.sweep)."""
    from service.sweep import sweep_locally

    plan = plan_of(variant)
    spans = ranges(plan, varies)
    _can_write_tables(table_to=table_to, members_to=members_to)
    _can_write(plot_to)
    result, rows = sweep_locally(
        plan, spans, points, runs, seed, sampler, workers, on_progress, members_to is not None
    )
    _sweep_files(result, rows, table_to, plot_to, members_to)
    return result


async def sweep_durably(
    variant: str,
    varies: list[str],
    points: int,
    runs: int,
    seed: int,
    sampler: str = "lhs",
    workers: int | None = None,
    batch: int = 500,
    on_progress: Callable[[int], None] | None = None,
    table_to: Path | None = None,
    plot_to: Path | None = None,
) -> Sweep:
    """The same sweep, each point's ensemble a durable workflow on Temporal."""
    from service.sweep import point_plans, sweep_on_temporal

    plan = plan_of(variant)
    spans = ranges(plan, varies)
    planned = point_plans(plan, spans, points, sampler, seed)  # a bad design: refused before a server starts
    _can_write_tables(table_to=table_to)
    _can_write(plot_to)
    async with _ensemble_workers(workers) as (client, count):
        result = await sweep_on_temporal(
            client,
            plan,
            spans,
            points,
            runs,
            seed,
            sampler,
            count,
            batch,
            on_progress=on_progress,
            planned=planned,
        )
    _sweep_files(result, [], table_to, plot_to, None)
    return result


def read_members(path: Path) -> pd.DataFrame:
    """A members file or a sweep's table, as a DataFrame."""
    from service.tables import read_table

    return read_table(path)


def is_sweep_table(table: pd.DataFrame) -> bool:
    return "point" in table and any(str(c).startswith("share.") for c in table.columns)


def discover(table: pd.DataFrame, outcome: str, rules: int = 3, depth: int = 3) -> Discovery:
    """Rules under which an outcome happens among members (service.discovery)."""
    from service.discovery import discover as discovering

    return discovering(table, outcome, rules, depth)


def rules_table(found: Discovery) -> pd.DataFrame:
    from service.discovery import rules_frame

    return rules_frame(found)


def sobol(sweep_table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Sobol indices of an outcome's share over a sweep sampled with Saltelli's scheme."""
    from service.sweep import sobol_indices

    return sobol_indices(sweep_table, outcome)


def _can_write_tables(**files: Path | None) -> None:
    from service.tables import check_writable

    for option, path in files.items():
        if path is not None:
            check_writable(path, "--" + option.removesuffix("_to"))


def _sweep_files(
    result: Sweep, rows: list[Row], table_to: Path | None, plot_to: Path | None, members_to: Path | None
) -> None:
    from service.tables import frame, write_table

    if table_to is not None:
        write_table(result.frame(), table_to, "--table")
    if members_to is not None:
        write_table(frame(rows), members_to, "--members")
    if plot_to is not None:
        from service.plot import plot_sweep

        try:
            plot_sweep(result, plot_to)
        except OSError as exc:
            raise Invalid(f"cannot write --plot {plot_to}: {(exc.strerror or str(exc)).lower()}") from None


def _can_write(plot_to: Path | None) -> None:
    # Checked before the ensemble runs, not after minutes of it.
    if plot_to is not None and not plot_to.parent.is_dir():
        raise Invalid(f"cannot write --plot {plot_to}: there is no folder {plot_to.parent}")


def _plot(result: EnsembleTable, plot_to: Path | None) -> None:
    if plot_to is None:
        return
    from service.plot import plot

    try:
        plot(result, plot_to)
    except OSError as exc:
        raise Invalid(f"cannot write --plot {plot_to}: {(exc.strerror or str(exc)).lower()}") from None


# --- events and states, of a timeline or of a run ---------------------------------------


async def timeline_events(name: str) -> tuple[WorldState, list[DomainEvent]]:
    """The events of a catalogue timeline or file, or of a run by id (store, else server)."""
    if is_catalogue_name(name) or not _could_be_run_id(name):
        definition = load_timeline(name)
        return initial_state(definition), list(simulate(definition))
    stored = store().timeline(name)
    if stored is not None:
        return WorldState.initial(stored.initial), store().events(name)
    from service.connection import ConnectionFailed
    from service.session import connect_running
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


async def telling(name: str) -> Telling:
    """A timeline or run with its title, for an export or the classroom."""
    from service.exports import Telling

    initial, found = await timeline_events(name)
    title, description, fork_seq = name, f"Run {name} of excomm.", None
    if is_catalogue_name(name) or not _could_be_run_id(name):
        definition = load_timeline(name)
        title, description = definition.title, definition.description
    elif (stored := store().timeline(name)) is not None:
        fork_seq = stored.fork_seq
        if is_catalogue_name(stored.name):
            definition = load_timeline(stored.name)
            branch = f", a branch of {stored.parent}" if stored.parent else ""
            title = f"{definition.title} (run {name}{branch})"
            description = definition.description
    return Telling(name, title, description, initial, found, fork_seq)


async def export(name: str, fmt: Format, anniversary: int | None = None) -> str:
    """`excomm export`: a timeline or run as TimelineJS JSON, iCalendar, CSV or a handout."""
    from service.exports import render

    return render(await telling(name), fmt, anniversary)


def _could_be_run_id(name: str) -> bool:
    """A run id, not a file: files are named by a path (with a folder or a .yaml suffix);
    anything else must then be a run id (service.run_ids), or it is refused."""
    if name.endswith((".yaml", ".yml")) or "/" in name or Path(name).exists():
        return False
    run_ids.checked(name)
    return True


async def world_state(name: str, at: datetime | None, side: Side | None) -> WorldState:
    """The world at the end of a timeline or run, or at a simulated instant; as a side knew it."""
    initial, found = await timeline_events(name)
    if at is None and side is None:
        return fold(initial, found)
    # A side's view at the end is its view once the last event had happened.
    when = at or (found[-1].at if found else initial.at)
    world = state_at(initial, found, when, side) if when is not None else initial
    return world.model_copy(update={"at": to_washington(at)}) if at is not None else world


@dataclass(frozen=True)
class Differences:
    comparison: Comparison
    events: tuple[int, int]
    states_at: tuple[WorldState, WorldState] | None


async def compare_timelines(first: str, second: str, at: datetime | None) -> Differences:
    initial_a, events_a = await timeline_events(first)
    initial_b, events_b = await timeline_events(second)
    states = (
        (state_at(initial_a, events_a, at), state_at(initial_b, events_b, at)) if at is not None else None
    )
    return Differences(
        compare(initial_a, events_a, initial_b, events_b), (len(events_a), len(events_b)), states
    )


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
    from service.session import connect_running
    from workflows.timeline import TimelineWorkflow

    run_ids.checked(timeline_id)
    client = await connect_running()
    return client, client.get_workflow_handle_for(TimelineWorkflow.run, timeline_id)


async def _claim(client: Client, timeline_id: str, replace: bool) -> None:
    """An id names one timeline for ever: refuse one already taken, unless replace."""
    from service.runs import claim_id

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
    from service.runs import NotRunning, cancel_run, follow, new_timeline_id, start_timeline
    from service.session import session

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

    from service.runs import new_timeline_id, start_timeline
    from service.session import connect_running

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
    from service.runs import failure_of, progress, run_status, trouble
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
    from service.connection import ConnectionFailed
    from service.runs import list_runs
    from service.session import connect_running

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
    from service.runs import cancel_run

    client, _ = await _handle(timeline_id)
    async with _known(timeline_id, client):
        await cancel_run(client, timeline_id)


Steering = Literal["pause", "resume", "step_day"]


async def steer(timeline_id: str, action: Steering) -> str:
    """Pause, resume or step a running timeline's clock; says what it did."""
    from service.runs import progress, run_status

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

    from service.runs import run_status
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
    from service.branching import fork, parent_run
    from service.runs import start_timeline
    from service.session import connect_running

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
