"""The `excomm` command line."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from activities.event_store import EventStore
from models.ensemble import EnsembleTable
from models.events import DomainEvent, EventSuppressed, MoveInterjected, event_to_json
from models.outline import outline
from models.pace import INSTANT, Pace, PaceError, parse_pace
from models.plan import PlanDefinition
from models.run import Progress as TimelineProgress
from models.sides import SIDES, Side
from models.simulation import initial_state, simulate
from models.state import WorldState, fold, state_at
from models.timeline import TimelineDefinition
from models.washington import to_washington
from service.branching import BranchError, fork
from service.chronicle import Chronicle
from service.comparison import compare
from service.explore import explore_locally
from service.graph import mermaid, mermaid_timeline
from service.plan_diff import plan_diff
from service.plot import plot
from service.settings import TASK_QUEUE, event_store_path
from timelines.citations import resolve as resolve_citation
from timelines.loader import (
    NoPlan,
    UnknownTimeline,
    catalogue_names,
    load_any,
    load_behaviour,
    load_timeline,
    plan_of,
)
from timelines.safe_yaml import FileProblems

# The Temporal SDK, what is built on it, and structlog take 0.4 s to import: they are
# imported in the commands that talk to a server (which alone log), so that those that
# never do (explore --runtime local, plan, validate, graph, dry-run, events of a timeline
# file) start quickly.

app = typer.Typer(
    help="Replay the Cuban Missile Crisis of October 1962 as durable Temporal workflows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)

P = ParamSpec("P")
T = TypeVar("T")


class UserError(Exception):
    """A mistake in what the user asked for: one line on stderr, exit status 2."""


class Refused(Exception):
    """A well-formed request that cannot be done (an id already taken): one line, status 1."""


def fail(message: str, status: int = 2) -> NoReturn:
    # Plain write, never wrapped: one line whatever the terminal's width.
    sys.stderr.write(f"excomm: error: {message}\n")
    raise typer.Exit(status)


def run_async(func: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """Run an async command, turning every expected failure into one line and a status."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        import asyncio

        from temporalio.client import WorkflowFailureError
        from temporalio.service import RPCError, RPCStatusCode

        from activities.event_store import StoreUnavailable
        from service.connection import ConnectionFailed
        from service.embedded_server import ServerUnavailable
        from service.logs import BadLogLevel, configure_logging

        try:
            configure_logging()
            return asyncio.run(func(*args, **kwargs))
        except FileProblems as exc:
            sys.stderr.write("".join(f"{problem}\n" for problem in exc.problems))
            raise typer.Exit(2) from None
        except (UserError, UnknownTimeline, NoPlan, PaceError) as exc:
            fail(str(exc))
        except Refused as exc:
            fail(str(exc), status=1)
        except (ConnectionFailed, ServerUnavailable, StoreUnavailable, BadLogLevel) as exc:
            fail(str(exc), status=1)
        except WorkflowFailureError as exc:
            fail(f"the timeline failed: {exc.cause or exc}", status=1)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                fail(f"no such timeline on the server: {exc.message}")
            fail(f"the Temporal server refused: {exc.message}", status=1)
        except KeyboardInterrupt:
            fail("interrupted", status=130)

    return wrapper


def _pace(text: str) -> Pace:
    return parse_pace(text) if text else INSTANT


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"invalid --at {text!r}: expected an ISO 8601 instant with offset, e.g. 1962-10-24T12:00-04:00"
        ) from None
    if value.tzinfo is None:
        raise UserError(f"invalid --at {text!r}: add the UTC offset, e.g. 1962-10-24T12:00-04:00")
    return value


SeedOption = Annotated[int, typer.Option("--seed", help="seed for a plan's stochastic behaviour")]
SideOption = Annotated[
    str | None,
    typer.Option("--as", help="washington or moscow: as that side knew it (default: what happened)"),
]


def _side(text: str | None) -> Side | None:
    if text is None:
        return None
    side = text.lower()
    if side not in SIDES:
        raise UserError(f"invalid --as {text!r}: use washington or moscow")
    return side


def _heading(definition: TimelineDefinition, side: Side | None) -> None:
    """Say, before anything else, what kind of timeline this is and whose view it shows."""
    kind = "the record" if definition.is_record else "a counterfactual, not the record"
    view = f", as {side.capitalize()} knew it" if side else ""
    out.print(f"[bold]{escape(definition.title)}[/bold] ({kind}{view})")


ReplaceOption = Annotated[
    bool, typer.Option("--replace", help="if the id is taken, cancel and archive that timeline first")
]
PaceOption = Annotated[
    str, typer.Option("--pace", help="instant, real, or SIM=REAL such as 1d=10s (a day every 10 s)")
]


# --- timelines as data -----------------------------------------------------------------


def _is_definition(name: str) -> bool:
    return name in catalogue_names() or name.endswith((".yaml", ".yml")) or os.path.exists(name)


async def _timeline_events(name: str) -> tuple[WorldState, list[DomainEvent]]:
    """The events of a catalogue timeline or file, or of a timeline run recorded by id."""
    if _is_definition(name):
        definition = load_timeline(name)
        return initial_state(definition), list(simulate(definition))
    store = EventStore(event_store_path())
    stored = store.timeline(name)
    if stored is not None:
        return WorldState.initial(stored.initial), store.events(name)
    from temporalio.service import RPCError, RPCStatusCode

    from service.connection import ConnectionFailed
    from service.session import connect_running
    from workflows.timeline import TimelineWorkflow

    try:
        client = await connect_running()
    except ConnectionFailed:
        raise UnknownTimeline(name) from None
    handle = client.get_workflow_handle_for(TimelineWorkflow.run, name)
    try:
        initial = await handle.query(TimelineWorkflow.initial_state)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise UnknownTimeline(name) from None
        raise
    return initial, await handle.query(TimelineWorkflow.events)


@app.command()
@run_async
async def events(
    timeline: Annotated[str, typer.Argument(help="a timeline name (october-1962), file, or run id")],
    format: Annotated[str, typer.Option("--format", help="jsonl or text")] = "text",
    side_name: SideOption = None,
) -> None:
    """Print the events of a timeline (as text, in the order a side learned of them with --as)."""
    if format not in ("jsonl", "text"):
        raise UserError(f"invalid --format {format!r}: use jsonl or text")
    side = _side(side_name)
    initial, found = await _timeline_events(timeline)
    if format == "jsonl":
        for event in found:
            sys.stdout.write(event_to_json(event) + "\n")
    else:
        chronicle = Chronicle(out, initial, side=side)
        chronicle.feed(found)
        chronicle.close()


@app.command()
@run_async
async def state(
    timeline: Annotated[str, typer.Argument(help="a timeline name (october-1962), file, or run id")],
    at: Annotated[str | None, typer.Option("--at", help="simulated instant, ISO 8601 with offset")] = None,
    side_name: SideOption = None,
) -> None:
    """Print the world state of a timeline, at its end or at a simulated instant, as JSON."""
    instant = _instant(at) if at is not None else None
    side = _side(side_name)
    initial, found = await _timeline_events(timeline)
    if instant is None and side is None:
        world = fold(initial, found)
    else:
        # A side's view at the end is its view once the last event had happened.
        when = instant or (found[-1].at if found else initial.at)
        world = state_at(initial, found, when, side) if when is not None else initial
        if instant is not None:
            world = world.model_copy(update={"at": to_washington(instant)})
    sys.stdout.write(world.model_dump_json(indent=2) + "\n")


@app.command()
def timelines() -> None:
    """List the timelines in the catalogue."""
    for name in catalogue_names():
        definition = load_timeline(name)
        out.print(f"{name}  v{definition.version}  {definition.title}", markup=False)


@app.command()
def source(
    citation: Annotated[str, typer.Argument(help='e.g. "FRUS 1961-63 v06 d65" or "Dobbs 2008"')],
) -> None:
    """Open a cited source: its full text where excomm ships it, else its record and address."""
    found = resolve_citation(citation)
    if found is None:
        fail(
            f"no source {citation!r}: cite a FRUS document as 'FRUS 1961-63 v06 d65' or "
            "'FRUS 1961-63 v10-12 mSupp 365', or a work by its key in timelines/sources/bibliography.yaml"
        )
    where = f", {found.locator}" if found.locator else ""
    out.print(f"[bold]{escape(found.citation)}{escape(where)}: {escape(found.title)}[/bold]")
    for line in (found.byline, found.date and f"dated {found.date}", found.address):
        if line:
            out.print(f"[dim]{escape(line)}[/dim]")
    if found.note:
        out.print(f"[dim]{escape(found.note)}[/dim]")
    if found.text is not None:
        out.print()
        out.print(found.text, markup=False)
    elif found.kind == "record":
        out.print("excomm ships this document's record, not its text: read it at the address above.")


# --- running timelines on Temporal -----------------------------------------------------


def _progress_bar(
    definition: TimelineDefinition,
) -> tuple[Progress | None, Callable[[TimelineProgress], None]]:
    if not out.is_terminal:
        return None, lambda _: None
    start = definition.starts_at.timestamp()
    span = max(e.at.timestamp() for e in simulate(definition)) - start
    bar = Progress(
        TextColumn("[cyan]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[day]}"),
        console=out,
        transient=True,
    )
    task = bar.add_task(definition.id, total=span or 1, day="")

    def update(p: TimelineProgress) -> None:
        day = f"{to_washington(p.clock):%d %b %Y}" + (" (paused)" if p.paused else "")
        bar.update(task, completed=p.clock.timestamp() - start, day=day)

    return bar, update


# Every command that reads a plan or a timeline takes a catalogue name or a file, of either.
_plan_argument = plan_of
UNREADABLE = (UnknownTimeline, FileProblems, NoPlan)


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="timelines, plans or variants, by name or file")],
) -> None:
    """Check files; print FILE:LINE:COL: CODE message for each problem, exit 1 if any."""
    failed = False
    for path in files:
        try:
            load_any(path)
        except UnknownTimeline as exc:
            failed = True
            sys.stdout.write(f"{path}:1:1: E-READ {exc}\n")
        except FileProblems as exc:
            failed = True
            sys.stdout.write("".join(f"{problem}\n" for problem in exc.problems))
        except Exception as exc:  # a file must never make validate crash: report, go on
            failed = True
            sys.stdout.write(
                f"{path}:1:1: E-INVALID {type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}\n"
            )
        else:
            out.print(f"{path}: valid", markup=False)
    raise typer.Exit(1 if failed else 0)


@app.command()
def graph(name: Annotated[str, typer.Argument(help="a plan, variant or timeline, by name or file")]) -> None:
    """Print a plan (or a timeline's plan) as a Mermaid flowchart; a timeline of the record
    as a Mermaid timeline of its days."""
    try:
        loaded = load_any(name)
    except UNREADABLE as exc:
        fail(str(exc))
    if isinstance(loaded, PlanDefinition):
        sys.stdout.write(mermaid(loaded))
    elif loaded.plan is not None:
        sys.stdout.write(mermaid(loaded.plan))
    else:
        sys.stdout.write(mermaid_timeline(loaded))


@app.command(name="diff-variant")
def diff_variant(
    base: Annotated[str, typer.Argument(help="a plan or variant, by name or file")],
    variant: Annotated[str, typer.Argument(help="a plan or variant, by name or file")],
) -> None:
    """Show what the second plan changes relative to the first."""
    try:
        lines = plan_diff(_plan_argument(base), _plan_argument(variant))
    except UNREADABLE as exc:
        fail(str(exc))
    for line in lines or ["no differences"]:
        out.print(line, markup=False)


@app.command(name="dry-run")
def dry_run(
    timeline: Annotated[str, typer.Argument(help="a plan, variant or timeline, by name or file")],
    seed: SeedOption = 0,
) -> None:
    """Run a plan in-process on a virtual clock (no server) and print its chronicle."""
    if seed < 0:
        fail(f"invalid --seed {seed}: a seed is zero or more")
    try:
        definition = load_timeline(timeline, seed)
    except (UnknownTimeline, FileProblems) as exc:
        if isinstance(exc, FileProblems):
            sys.stderr.write("".join(f"{problem}\n" for problem in exc.problems))
            raise typer.Exit(2) from None
        fail(str(exc))
    started = time.perf_counter()
    found = simulate(definition)
    elapsed = time.perf_counter() - started
    _heading(definition, None)
    Chronicle(out, initial_state(definition)).feed(found)
    world = fold(initial_state(definition), found)
    out.print()
    out.print(
        f"[bold]{len(found)} events[/bold], outcome: [bold]{world.outcome or 'none'}[/bold] "
        f"(simulated in-process in {elapsed * 1000:.1f} ms"
        f"{f', seed {seed}' if definition.seed is not None else ''})"
    )


@app.command()
def explore(
    variant: Annotated[str, typer.Argument(help="a plan or variant with seeded behaviour, by name or file")],
    runs: Annotated[int, typer.Option("--runs", help="how many members")] = 1000,
    seed: SeedOption = 0,
    runtime: Annotated[str, typer.Option("--runtime", help="local (in-process) or temporal")] = "local",
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="local: processes; temporal: worker processes to start (0: none)"),
    ] = None,
    batch: Annotated[int, typer.Option("--batch", help="members per Temporal activity")] = 500,
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    plot_file: Annotated[Path | None, typer.Option("--plot", help="also draw FILE.png or FILE.svg")] = None,
) -> None:
    """Run N seeded members of a variant and tabulate their outcomes, days and rungs."""
    if plot_file is not None and plot_file.suffix.lower() not in (".png", ".svg"):
        fail(f"invalid --plot {plot_file}: the file must end in .png or .svg")
    if runs < 1:
        fail(f"invalid --runs {runs}: an ensemble has at least one member")
    if seed < 0:
        fail(f"invalid --seed {seed}: a seed is zero or more")
    if runtime not in ("local", "temporal"):
        fail(f"invalid --runtime {runtime!r}: use local or temporal")
    if format not in ("table", "json"):
        fail(f"invalid --format {format!r}: use table or json")
    if workers is not None and workers < (1 if runtime == "local" else 0):
        fail(f"invalid --workers {workers}")
    if batch < 1:
        fail(f"invalid --batch {batch}: at least one member per batch")
    try:
        definition = _plan_argument(variant)
    except UNREADABLE as exc:
        fail(str(exc))
    bar = (
        Progress(
            TextColumn("[cyan]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            console=out,
            transient=True,
        )
        if out.is_terminal and format == "table"
        else None
    )
    task = bar.add_task(definition.id, total=runs) if bar else None

    def progress(done: int) -> None:
        if bar is not None and task is not None:
            bar.update(task, completed=done)

    if bar:
        bar.start()
    try:
        if runtime == "local":
            result = explore_locally(definition, runs, seed, workers, progress)
        else:
            count = (os.cpu_count() or 1) if workers is None else workers
            result = _explore_on_temporal(definition, runs, seed, count, batch, progress)
    finally:
        if bar:
            bar.stop()
    if plot_file is not None:
        plot(result, plot_file)
    if format == "json":
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    out.print(
        f"[bold]{result.variant}[/bold] v{result.version}: {result.runs} runs from seed {result.seed} "
        f"({result.runtime}, {result.workers} workers, {result.elapsed_s:.2f} s)"
    )
    for share in result.outcomes:
        low, high = share.ci95
        out.print(f"  {share.outcome:<24} {share.runs:>7}  {share.share:7.1%}  (95% CI {low:.1%}-{high:.1%})")
        days = ", ".join(f"{day[5:]}: {n}" for day, n in result.days.get(share.outcome, {}).items())
        out.print(f"  {'':<24} reached on {days}", markup=False)
    if result.rungs:
        rungs = ", ".join(f"{rung} {n / result.runs:.1%}" for rung, n in result.rungs.items())
        out.print(f"  rungs touched: {rungs}", markup=False)


@run_async
async def _explore_on_temporal(
    plan_definition: PlanDefinition,
    runs: int,
    seed: int,
    workers: int,
    batch: int,
    progress: Callable[[int], None],
) -> EnsembleTable:
    """On the configured or embedded server, with `workers` worker processes started here."""
    from service.explore import explore_on_temporal
    from service.session import session
    from service.worker_processes import polling_workers, worker_processes

    async with session(with_worker=False) as client, worker_processes(client, workers):
        if workers == 0 and not await polling_workers(client, activities=True):
            raise Refused(
                f"no worker polls task queue {TASK_QUEUE!r} on {client.service_client.config.target_host}: "
                "run `excomm worker` (or `excomm server`), or give --workers N"
            )
        return await explore_on_temporal(
            client, plan_definition, runs, seed, workers, batch, on_progress=progress
        )


@app.command()
def plan(name: Annotated[str, typer.Argument(help="a plan, or a timeline that runs one")] = "memo") -> None:
    """Print a plan's steps in order, with the memo paragraph each carries out."""
    try:
        definition = _plan_argument(name)
    except UNREADABLE as exc:
        fail(str(exc))
    out.print(
        f"[bold]{definition.title}[/bold]  "
        f"({definition.id} v{definition.version}; {', '.join(definition.sources)})"
    )
    lines = outline(definition)
    width = max(len(paragraph) for _, paragraph, _ in lines)
    for depth, paragraph, text in lines:
        out.print(f"  [cyan]{paragraph:<{width}}[/cyan]  {'  ' * depth}{escape(text)}", highlight=False)


@app.command()
@run_async
async def replay(
    timeline: Annotated[str, typer.Argument(help="a timeline name (october-1962) or file")],
    pace: PaceOption = "instant",
    timeline_id: Annotated[str | None, typer.Option("--id", help="workflow id of the run")] = None,
    seed: SeedOption = 0,
    side_name: SideOption = None,
    replace: ReplaceOption = False,
    detach: Annotated[
        bool, typer.Option("--detach", help="on Ctrl-C, leave the timeline running instead of cancelling it")
    ] = False,
) -> None:
    """Run a timeline through Temporal and print its chronicle, day by day."""
    if seed < 0:
        raise UserError(f"invalid --seed {seed}: a seed is zero or more")
    side = _side(side_name)
    import asyncio

    from service.runs import NotRunning, cancel_run, follow, new_timeline_id, start_timeline
    from service.session import session

    definition = load_timeline(timeline, seed)
    chosen_pace = _pace(pace)
    run_id = timeline_id or new_timeline_id(definition.id)
    _heading(definition, side)
    async with session(with_worker=True) as client:
        await _claim(client, run_id, replace)
        handle = await start_timeline(client, definition, chosen_pace, run_id)
        then = "leaves it running" if detach else "cancels it"
        sys.stderr.write(f"excomm: timeline {run_id} started; Ctrl-C {then}\n")
        chronicle = Chronicle(out, initial_state(definition), side=side)
        bar, on_progress = _progress_bar(definition)
        if bar is not None:
            bar.start()
        try:
            result = await follow(handle, chronicle.feed, on_progress, _report_trouble(run_id))
        except (asyncio.CancelledError, KeyboardInterrupt):
            if bar is not None:
                bar.stop()
            if detach:
                sys.stderr.write(
                    f"excomm: timeline {run_id} left running: `excomm status {run_id}`, `excomm list`; "
                    "it goes on under `excomm server`\n"
                )
            else:
                with contextlib.suppress(NotRunning):  # it may have just finished
                    await cancel_run(client, run_id)
                sys.stderr.write(f"excomm: timeline {run_id} cancelled; what it recorded stays\n")
            raise typer.Exit(130) from None
        finally:
            if bar is not None:
                bar.stop()
        chronicle.close()
    out.print()
    out.print(
        f"[bold]{result.events} events[/bold] on timeline [bold]{run_id}[/bold]; "
        f"outcome: [bold]{result.state.outcome or 'none'}[/bold]"
    )


def _report_trouble(run_id: str) -> Callable[[str | None], None]:
    def report(trouble: str | None) -> None:
        if trouble is None:
            message = f"excomm: timeline {run_id} goes on\n"
        else:
            message = (
                f"excomm: warning: timeline {run_id} is waiting: {trouble}; it retries, and goes on "
                "once that is put right (Ctrl-C cancels it)\n"
            )
        sys.stderr.write(message)

    return report


app.command(name="run", help="Run a plan or a timeline durably through Temporal (as replay does).")(replay)


async def _claim(client: Any, timeline_id: str, replace: bool) -> None:
    """An id names one timeline for ever: refuse one already taken, unless --replace."""
    from service.runs import IdTaken, claim_id

    try:
        await claim_id(client, EventStore(event_store_path()), timeline_id, replace)
    except IdTaken as exc:
        raise Refused(str(exc)) from None


@app.command(name="signal")
@run_async
async def send_move(
    timeline_id: Annotated[str, typer.Argument(help="the run's workflow id")],
    kind: Annotated[str, typer.Argument(help="soviet_reply, allied_answer or incident")],
    payload: Annotated[str, typer.Option("--json", help="the move's fields as a JSON object")] = "{}",
) -> None:
    """Send a move to a running timeline; say whether it was taken, and if not, why."""
    try:
        fields = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise UserError(f"--json is not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(fields, dict):
        raise UserError("--json must be a JSON object")
    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.exceptions import ApplicationError

    from service.session import connect_running
    from workflows.timeline import TimelineWorkflow

    client = await connect_running()
    handle = client.get_workflow_handle_for(TimelineWorkflow.run, timeline_id)
    try:
        receipt = await handle.execute_update(TimelineWorkflow.submit_move, {**fields, "kind": kind})
    except WorkflowUpdateFailedError as exc:
        reason = exc.cause.message if isinstance(exc.cause, ApplicationError) else str(exc.cause)
        fail(f"move refused: {reason}", status=1)
    local = to_washington(receipt.at)
    out.print(f"move accepted: {receipt.kind} at {local:%d %b %Y %H:%M} {local.tzname()}", markup=False)


@app.command()
@run_async
async def start(
    timeline: Annotated[str, typer.Argument(help="a timeline name (october-1962) or file")],
    timeline_id: Annotated[str | None, typer.Option("--id", help="workflow id of the run")] = None,
    pace: PaceOption = "instant",
    paused: Annotated[bool, typer.Option("--paused", help="start with the clock paused")] = False,
    seed: SeedOption = 0,
    replace: ReplaceOption = False,
) -> None:
    """Start a timeline on a running server and return at once."""
    if seed < 0:
        raise UserError(f"invalid --seed {seed}: a seed is zero or more")
    from temporalio.exceptions import WorkflowAlreadyStartedError

    from service.runs import new_timeline_id, start_timeline
    from service.session import connect_running

    definition = load_timeline(timeline, seed)
    chosen_pace = _pace(pace)
    client = await connect_running()
    run_id = timeline_id or new_timeline_id(definition.id)
    await _claim(client, run_id, replace)
    try:
        await start_timeline(client, definition, chosen_pace, run_id, start_paused=paused)
    except WorkflowAlreadyStartedError:
        raise Refused(f"a timeline with id {run_id!r} is already running") from None
    out.print(run_id, markup=False)


@app.command()
@run_async
async def status(timeline_id: Annotated[str, typer.Argument(help="the run's workflow id")]) -> None:
    """Show where a running (or finished) timeline stands."""
    from service.runs import failure_of, progress
    from service.session import connect_running
    from workflows.timeline import TimelineWorkflow

    client = await connect_running()
    handle = client.get_workflow_handle_for(TimelineWorkflow.run, timeline_id)
    description = await handle.describe()
    run_status = description.status.name.lower() if description.status else "unknown"
    if run_status in ("failed", "terminated", "timed_out"):
        # A timeline that could not run says why, rather than failing every query after it.
        out.print(f"[bold]{timeline_id}[/bold]: {run_status}: {escape(await failure_of(handle))}")
        return
    current = await progress(handle)
    world = await handle.query(TimelineWorkflow.state)
    clock = to_washington(current.clock)
    out.print(f"[bold]{timeline_id}[/bold]: {current.timeline} v{current.version}, {run_status}")
    out.print(f"  clock    {clock:%a %d %b %Y %H:%M %Z}" + ("  (paused)" if current.paused else ""))
    out.print(f"  pace     {current.pace}")
    out.print(f"  events   {current.last_seq}")
    defcon = ", ".join(f"{k} {v}" for k, v in world.defcon.items())
    out.print(f"  DEFCON   {defcon}")
    out.print(
        f"  quarantine {world.quarantine}; missiles {world.missiles}; outcome {world.outcome or 'none'}"
    )
    if world.allies:
        out.print("  allies   " + ", ".join(f"{ally} {result}" for ally, result in world.allies.items()))
    if world.tracks:
        out.print("  tracks   " + ", ".join(f"{track} {status}" for track, status in world.tracks.items()))
    if world.escalation_rung or world.alliance_cohesion < 1:
        out.print(
            f"  escalation {world.escalation_rung or 'none'}; alliance cohesion {world.alliance_cohesion:g}"
        )
    for reason in current.rejected_moves:
        out.print(f"  refused move: {reason}", markup=False)
    for event in await handle.query(TimelineWorkflow.events):
        if isinstance(event, EventSuppressed):
            out.print(f"  {_suppressed_line(event)}", markup=False)


@app.command(name="list")
@run_async
async def list_timelines(
    timeline: Annotated[str | None, typer.Option("--timeline", help="only runs of this timeline")] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="running, completed, cancelled, failed, terminated, recorded"),
    ] = None,
    lineage: Annotated[
        str | None, typer.Option("--lineage", help="only this timeline and its branches")
    ] = None,
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """List the timelines on the server and in the event store."""
    if format not in ("table", "json"):
        raise UserError(f"invalid --format {format!r}: use table or json")
    from service.connection import ConnectionFailed
    from service.runs import list_runs
    from service.session import connect_running

    try:
        client = await connect_running()
    except ConnectionFailed:
        client = None  # no server: what the store holds
    runs = await list_runs(client, EventStore(event_store_path()))
    if timeline is not None:
        runs = [r for r in runs if r.timeline == timeline]
    if status is not None:
        runs = [r for r in runs if r.status == status.lower()]
    if lineage is not None:
        runs = [r for r in runs if lineage in (r.id, r.root)]
    if format == "json":
        sys.stdout.write(json.dumps([r.__dict__ for r in runs], indent=2) + "\n")
        return
    if client is None:
        sys.stderr.write("excomm: no server is running: the timelines recorded in the event store\n")
    for run in runs:
        clock = (
            to_washington(datetime.fromisoformat(run.clock)).strftime("%d %b %Y %H:%M %Z")
            if run.clock
            else "-"
        )
        what = f"{run.timeline or '?'} v{run.version or '?'}"
        parent = f"  from {run.parent}" if run.parent else ""
        out.print(
            f"{run.id}  {what}  {run.status}  {clock}  started {run.started or '-'}{parent}", markup=False
        )


@app.command()
@run_async
async def cancel(timeline_id: Annotated[str, typer.Argument(help="the run's workflow id")]) -> None:
    """Cancel a running timeline and its children; what it recorded stays, marked cancelled."""
    from service.runs import NotRunning, cancel_run
    from service.session import connect_running

    client = await connect_running()
    try:
        await cancel_run(client, timeline_id)
    except NotRunning as exc:
        raise Refused(str(exc)) from None
    out.print(f"cancelled {timeline_id}", markup=False)


def _signal_command(name: str, help_text: str) -> None:
    @run_async
    async def command(timeline_id: Annotated[str, typer.Argument(help="the run's workflow id")]) -> None:
        from service.session import connect_running

        client = await connect_running()
        await client.get_workflow_handle(timeline_id).signal(name)
        out.print(f"{name} sent to {timeline_id}", markup=False)

    command.__doc__ = help_text
    app.command(name=name.replace("_", "-"))(command)


_signal_command("pause", "Pause a timeline's simulated clock.")
_signal_command("resume", "Resume a paused timeline.")
_signal_command("step_day", "While paused, run to the next day in Washington, then pause again.")


# --- branches -------------------------------------------------------------------------


@app.command()
@run_async
async def branch(
    parent_id: Annotated[str, typer.Argument(help="the timeline to fork (its workflow id)")],
    at: Annotated[str | None, typer.Option("--at", help="fork at this simulated instant")] = None,
    after_seq: Annotated[int | None, typer.Option("--after-seq", help="fork after this event")] = None,
    move: Annotated[list[str] | None, typer.Option("--move", help="a move kind taken at the fork")] = None,
    payload: Annotated[list[str] | None, typer.Option("--json", help="the fields of each --move")] = None,
    variant: Annotated[str | None, typer.Option("--variant", help="run the branch on this plan")] = None,
    behaviour: Annotated[
        str | None,
        typer.Option("--behaviour", help="the sides' seeded behaviour from the fork on: a plan or file"),
    ] = None,
    seed: SeedOption = 0,
    timeline_id: Annotated[str | None, typer.Option("--id", help="workflow id of the branch")] = None,
    pace: PaceOption = "instant",
    replace: ReplaceOption = False,
) -> None:
    """Fork a timeline into a new one that takes other moves from a past point."""
    if (at is None) == (after_seq is None):
        raise UserError("give exactly one of --at or --after-seq")
    if seed < 0:
        raise UserError(f"invalid --seed {seed}: a seed is zero or more")
    kinds, fields = move or [], payload or []
    if len(fields) > len(kinds):
        raise UserError("each --json belongs to a --move before it")
    moves: list[dict[str, object]] = []
    for index, kind in enumerate(kinds):
        try:
            given = json.loads(fields[index]) if index < len(fields) else {}
        except json.JSONDecodeError as exc:
            raise UserError(f"--json {index + 1} is not valid JSON: {exc.msg}") from None
        if not isinstance(given, dict):
            raise UserError(f"--json {index + 1} must be a JSON object")
        moves.append({**given, "kind": kind})
    instant = _instant(at) if at is not None else None
    plan_definition = _plan_argument(variant) if variant is not None else None
    drawing = load_behaviour(behaviour) if behaviour is not None else None
    chosen_pace = _pace(pace)
    from temporalio.service import RPCError, RPCStatusCode

    from service.branching import parent_run
    from service.runs import start_timeline
    from service.session import connect_running

    client = await connect_running()
    try:
        run = await parent_run(client, parent_id)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise UnknownTimeline(parent_id) from None
        raise
    _, parent_events = await _timeline_events(parent_id)
    try:
        definition = fork(
            parent_id,
            run.timeline,
            parent_events,
            at=instant,
            after_seq=after_seq,
            moves=moves,
            plan=plan_definition,
            behaviour=drawing,
            seed=seed,
        )
    except BranchError as exc:
        raise UserError(str(exc)) from None
    new_id = timeline_id or f"{parent_id}.branch-{secrets.token_hex(3)}"
    if new_id == parent_id:
        raise Refused(f"a branch cannot take its parent's id {parent_id!r}")
    await _claim(client, new_id, replace)
    # The branch runs under its parent's engine rules, so it reproduces the parent exactly.
    await start_timeline(client, definition, chosen_pace, new_id, rules=run.rules)
    out.print(new_id, markup=False)
    sys.stderr.write(f"forked from {parent_id} after seq {definition.fork_seq}\n")


@app.command()
@run_async
async def diff(
    first: Annotated[str, typer.Argument(help="a timeline run id (or a name)")],
    second: Annotated[str, typer.Argument(help="a timeline run id (or a name)")],
    at: Annotated[str | None, typer.Option("--at", help="also compare the states at this instant")] = None,
) -> None:
    """Show what one timeline did that the other did not, matched by content, and a summary."""
    instant = _instant(at) if at is not None else None
    initial_a, events_a = await _timeline_events(first)
    initial_b, events_b = await _timeline_events(second)
    comparison = compare(initial_a, events_a, initial_b, events_b)
    names = {"first": first, "second": second}
    if comparison.first_divergence is None:
        out.print(f"no divergence: the same {len(events_a)} events", markup=False)
    for difference in comparison.differences:
        event = difference.event
        local = to_washington(event.at)
        when = f"{local:%d %b %Y %H:%M} {local.tzname()}"
        if isinstance(event, EventSuppressed):
            out.print(f"{names[difference.side]}: {_suppressed_line(event)}", markup=False)
        else:
            kind = f"{event.type} ({event.provenance})"
            out.print(f"only in {names[difference.side]}: {when}  {kind}  {event.summary}", markup=False)
    summary = Table("", first, second, title="summary", title_justify="left", box=None)
    a, b = comparison.first, comparison.second
    assert a is not None and b is not None
    divergence = comparison.first_divergence
    if divergence is not None:
        local = to_washington(divergence.event.at)
        summary.add_row("first divergence", f"{local:%d %b %Y %H:%M} {local.tzname()}", "")
    summary.add_row("outcome", a.outcome or "none", b.outcome or "none")
    summary.add_row("rungs reached", ", ".join(a.rungs) or "-", ", ".join(b.rungs) or "-")
    summary.add_row("events", str(a.events), str(b.events))
    summary.add_row("suppressed", str(a.suppressed), str(b.suppressed))
    out.print()
    out.print(summary)
    if instant is not None:
        state_a = state_at(initial_a, events_a, instant).model_dump(mode="json")
        state_b = state_at(initial_b, events_b, instant).model_dump(mode="json")
        changed = [k for k in state_a if k not in ("at", "last_seq") and state_a[k] != state_b[k]]
        out.print(
            f"state at {to_washington(instant):%d %b %Y %H:%M %Z}: " + ("the same" if not changed else "")
        )
        for key in changed:
            out.print(f"  {key}: {json.dumps(state_a[key])}  |  {json.dumps(state_b[key])}", markup=False)


def _suppressed_line(event: EventSuppressed) -> str:
    """One line for what history did not do, and why: for status and diff."""
    local = to_washington(event.at)
    what = event.summary.split("): ", 1)[-1]
    return (
        f"suppressed from the record: {local:%d %b %H:%M} {local.tzname()} {event.suppressed} "
        f"(needs {event.condition}, as {event.side.capitalize()} knew it): {what}"
    )


@app.command()
def tree(timeline_id: Annotated[str, typer.Argument(help="any timeline of the lineage")]) -> None:
    """Show a timeline's lineage: the root, every branch, its fork point and its outcome."""
    store = EventStore(event_store_path())
    stored = store.timeline(timeline_id)
    if stored is None:
        fail(f"no recorded timeline {timeline_id!r} in {event_store_path()}")
    while stored.parent is not None and (parent := store.timeline(stored.parent)) is not None:
        stored = parent
    out.print(_node(store, stored.timeline_id), soft_wrap=True)

    # Drawn by hand, a line per timeline, never cut at the terminal's width: a branch's line
    # (its fork and moves) is long, and scripts read it whole.
    def grow(parent_id: str, indent: str) -> None:
        children = store.branches(parent_id)
        for index, (child, fork_seq) in enumerate(children):
            last = index == len(children) - 1
            out.print(f"{indent}{'└── ' if last else '├── '}{_node(store, child, fork_seq)}", soft_wrap=True)
            grow(child, indent + ("    " if last else "│   "))

    grow(stored.timeline_id, "")


def _node(store: EventStore, timeline_id: str, fork_seq: int | None = None) -> str:
    """A timeline in its lineage: where it was forked, the moves it took there, its outcome."""
    stored = store.timeline(timeline_id)
    assert stored is not None
    events = store.events(timeline_id)
    world = fold(WorldState.initial(stored.initial), events)
    fork_text = ""
    if fork_seq is not None:
        taken = [e for e in events if isinstance(e, MoveInterjected) and e.seq > fork_seq]
        # The fork instant: where its first move was taken, or else the last event it kept.
        forked_at = taken[0].at if taken else next((e.at for e in events if e.seq == fork_seq), None)
        when = f" at {to_washington(forked_at):%d %b %Y %H:%M %Z}" if forked_at is not None else ""
        moves = [_move_words(e.move) for e in taken]
        fork_text = f"  forked after seq {fork_seq}{when}" + (f"; moves: {'; '.join(moves)}" if moves else "")
    return f"{escape(timeline_id)}{escape(fork_text)}  [bold]{world.outcome or 'no outcome yet'}[/bold]"


def _move_words(move: dict[str, object]) -> str:
    """A move in a few words: its kind and what it says."""
    said = [str(move[key]) for key in ("track", "ally", "incident", "answer", "subject") if key in move]
    return " ".join([str(move.get("kind", "move")), *said])


# --- processes ---------------------------------------------------------------------------


@app.command()
@run_async
async def server(
    ip: Annotated[str, typer.Option(help="address to bind; 127.0.0.1 unless you need more")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Temporal frontend port")] = 7233,
    ui_port: Annotated[int, typer.Option(help="web UI port")] = 8233,
) -> None:
    """Run the embedded Temporal server and a worker in the foreground (Ctrl-C stops them)."""
    from service.embedded_server import embedded_server
    from service.logs import configure_logging
    from worker import build_worker

    configure_logging(level="INFO")
    async with embedded_server(ip=ip, port=port, ui=True, ui_port=ui_port) as (client, running):
        out.print(f"Temporal server at [bold]{running.address}[/bold]; web UI at [bold]{running.ui}[/bold]")
        out.print(f"Event store: {event_store_path()}")
        async with build_worker(client):
            out.print("Worker running; Ctrl-C to stop.")
            await _until_stopped()
    out.print("Stopped.")


async def _until_stopped() -> None:
    """Wait for Ctrl-C or SIGTERM, so both shut the worker and server down in order."""
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


@app.command()
@run_async
async def worker() -> None:
    """Run a worker against a configured cluster (or the running `excomm server`)."""
    from service.logs import configure_logging
    from service.registration import register_search_attributes
    from service.session import connect_running
    from worker import build_worker

    configure_logging(level="INFO")
    client = await connect_running()
    await register_search_attributes(client)
    out.print(f"Worker polling on {client.service_client.config.target_host}; Ctrl-C to stop.")
    async with build_worker(client):
        await _until_stopped()


def main() -> NoReturn:
    status = 0
    try:
        app()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    # The SDK's native runtime can crash at interpreter shutdown after a clean run
    # (sdk-python#300); leave without running finalisers so the status is ours.
    os._exit(status)


if __name__ == "__main__":
    main()
