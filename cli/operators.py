"""The operators' commands: the home's server, workers for a cluster, runs started,
listed, steered and cancelled, and the event store's schema."""

import json
import sys
from datetime import datetime
from typing import Annotated, Any

import typer

from cli.common import (
    CLASSROOM_PORT,
    OPERATORS,
    EnsembleSeedOption,
    IdOption,
    MemberOption,
    PaceOption,
    ReplaceOption,
    RunArgument,
    SeedOption,
    SetOption,
    TimelineArgument,
    app,
    classroom_ready,
    handled,
    loopback,
    note_store,
    out,
    run,
    stdout,
    suppressed_line,
    until_stopped,
)
from models.washington import to_washington
from service import inputs, processes
from service.reading import plans
from service.reading.text import clean, literal, one_line
from service.runs import control
from service.runtime.calls import run_call


@app.command(rich_help_panel=OPERATORS)
@handled
def server(
    ip: Annotated[
        str, typer.Option("--ip", metavar="ADDRESS", help="address to bind; 127.0.0.1 unless you need more")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="Temporal frontend port")] = 7233,
    ui_port: Annotated[int, typer.Option("--ui-port", metavar="PORT", help="web UI port")] = 8233,
    classroom_port: Annotated[
        int | None,
        typer.Option(
            "--classroom-port",
            metavar="PORT",
            help=f"the classroom's port (default {CLASSROOM_PORT}, a free one if that is taken; 0: any)",
        ),
    ] = None,
    with_classroom: Annotated[
        bool, typer.Option("--classroom/--no-classroom", help="serve the classroom too (the default)")
    ] = True,
) -> None:
    """Run the embedded Temporal server, a worker and the classroom in the foreground
    (Ctrl-C stops them)."""
    from service.runtime.logs import configure_logging

    inputs.bounded("--port", port, 1, 65535)
    inputs.bounded("--ui-port", ui_port, 1, 65535)
    if classroom_port is not None:
        inputs.bounded("--classroom-port", classroom_port, 0, 65535)
    if not loopback(ip):
        sys.stderr.write(
            f"excomm: warning: --ip {one_line(ip)} exposes an unauthenticated Temporal server "
            "(and its web UI) "
            "to the network: anyone who can reach it can run, read and stop timelines\n"
        )
    configure_logging(level="INFO")

    def ready(running: Any, store: str) -> None:
        out.print(f"Temporal server at [bold]{running.address}[/bold]; web UI at [bold]{running.ui}[/bold]")
        out.print(f"Event store: {literal(store)}")
        out.print("Worker running; Ctrl-C to stop.")

    async def serve() -> None:
        await processes.serve(
            ip,
            port,
            ui_port,
            ready,
            until_stopped(),
            (CLASSROOM_PORT if classroom_port is None else classroom_port) if with_classroom else None,
            classroom_ready(show_ctrl_c=False),
            # As Jupyter does: the default port taken (another class on this machine), the
            # classroom takes a free one and says which; a port asked for is refused if taken.
            classroom_fallback=classroom_port is None,
            on_moved=_classroom_moved,
        )

    run_call(serve())
    out.print("Stopped.")


def _classroom_moved(taken: int, chosen: int) -> None:
    sys.stderr.write(f"excomm: the classroom's port {taken} is taken: it listens on {chosen} instead\n")


@app.command(rich_help_panel=OPERATORS)
@handled
def worker() -> None:
    """Run a worker against a configured cluster (or the running `excomm server`)."""
    from service.runtime.logs import configure_logging

    configure_logging(level="INFO")

    def ready(address: str, store: str) -> None:
        out.print(f"Worker polling on {literal(address)}; event store: {literal(store)}; Ctrl-C to stop.")

    async def work() -> None:
        await processes.work(ready, until_stopped())

    run_call(work())


@app.command(rich_help_panel=OPERATORS)
@handled
def start(
    timeline: TimelineArgument,
    timeline_id: IdOption = None,
    pace: PaceOption = "instant",
    paused: Annotated[bool, typer.Option("--paused", help="start with the clock paused")] = False,
    seed: SeedOption = 0,
    member: MemberOption = None,
    ensemble_seed: EnsembleSeedOption = None,
    settings: SetOption = None,
    replace: ReplaceOption = False,
) -> None:
    """Start a timeline on a running server and return at once."""
    chosen_pace = inputs.pace(pace)
    definition = plans.timeline_with(timeline, inputs.seed(seed, member, ensemble_seed), settings)
    out.print(clean(run(control.start(definition, chosen_pace, timeline_id, paused, replace))), markup=False)


@app.command(rich_help_panel=OPERATORS)
@handled
def status(timeline_id: RunArgument) -> None:
    """Show where a running (or finished) timeline stands."""
    report = run(control.status(timeline_id))
    note_store()
    name = literal(report.id)
    if report.failure is not None:
        # A timeline that could not run says why, rather than failing every query after it.
        out.print(f"[bold]{name}[/bold]: {report.status}: {literal(one_line(report.failure))}")
        return
    current, world = report.progress, report.world
    assert current is not None and world is not None
    clock = to_washington(current.clock)
    out.print(f"[bold]{name}[/bold]: {literal(current.timeline)} v{current.version}, {report.status}")
    out.print(f"  clock    {clock:%a %d %b %Y %H:%M %Z}" + ("  (paused)" if current.paused else ""))
    out.print(f"  pace     {current.pace}")
    if current.variant is not None:
        out.print(f"  variant  {literal(current.variant)} (from the fork)")
    if current.behaviour is not None:
        out.print(f"  behaviour {literal(current.behaviour)}", soft_wrap=True)
    out.print(f"  events   {current.last_seq}")
    if report.trouble is not None:
        out.print(f"  waiting  {literal(one_line(report.trouble))}; it retries")
    defcon = ", ".join(f"{k} {v}" for k, v in world.defcon.items())
    out.print(f"  DEFCON   {defcon}")
    out.print(
        f"  quarantine {world.quarantine}; missiles {world.missiles}; outcome {world.outcome or 'none'}"
    )
    if world.allies:
        out.print(
            "  allies   " + ", ".join(f"{ally} {result}" for ally, result in world.allies.items()),
            markup=False,
        )
    if world.tracks:
        out.print(
            "  tracks   " + ", ".join(f"{track} {s}" for track, s in world.tracks.items()), markup=False
        )
    if world.escalation_rung or world.alliance_cohesion < 1:
        out.print(
            f"  escalation {world.escalation_rung or 'none'}; alliance cohesion {world.alliance_cohesion:g}",
            markup=False,
        )
    if current.refused > len(current.rejected_moves):
        out.print(
            f"  refused moves: {current.refused}, the newest {len(current.rejected_moves)}:", markup=False
        )
    for reason in current.rejected_moves:
        out.print(f"  refused move: {clean(reason)}", markup=False)
    for event in report.suppressed:
        out.print(f"  {suppressed_line(event)}", markup=False)


@app.command(name="list", rich_help_panel=OPERATORS)
@handled
def list_timelines(
    timeline: Annotated[
        str | None, typer.Option("--timeline", metavar="NAME", help="only runs of this timeline")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="running, completed, cancelled, failed, terminated, archived or recorded",
        ),
    ] = None,
    lineage: Annotated[
        str | None, typer.Option("--lineage", metavar="ID", help="only this timeline and its branches")
    ] = None,
    format: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table or json")] = "table",
) -> None:
    """List the timelines on the server and in the event store."""
    inputs.choice("--format", format, ("table", "json"))
    statuses = (
        "running",
        "completed",
        "cancelled",
        "failed",
        "terminated",
        "timed_out",
        "archived",
        "recorded",
    )
    wanted = inputs.choice("--status", status.lower(), statuses) if status is not None else None
    found = run(control.runs(timeline, wanted, lineage))
    note_store()
    if format == "json":
        stdout.write(json.dumps([r.__dict__ for r in found.runs], indent=2) + "\n")
        return
    if not found.server_reachable:
        sys.stderr.write("excomm: no server is running: the timelines recorded in the event store\n")
    for summary in found.runs:
        clock = (
            to_washington(datetime.fromisoformat(summary.clock)).strftime("%d %b %Y %H:%M %Z")
            if summary.clock
            else "-"
        )
        what = f"{summary.timeline or '?'} v{summary.version or '?'}"
        parent = f"  from {summary.parent}" if summary.parent else ""
        out.print(
            clean(
                f"{summary.id}  {what}  {summary.status}  {clock}  started {summary.started or '-'}{parent}"
            ),
            markup=False,
        )


@app.command(rich_help_panel=OPERATORS)
@handled
def cancel(timeline_id: RunArgument) -> None:
    """Cancel a running timeline and its children; what it recorded stays, marked cancelled."""
    run(control.cancel(timeline_id))
    out.print(f"cancelled {clean(timeline_id)}", markup=False)


def _steering_command(action: control.Steering, help_text: str) -> None:
    @handled
    def command(timeline_id: RunArgument) -> None:
        out.print(clean(run(control.steer(timeline_id, action))), markup=False)

    command.__doc__ = help_text
    app.command(name=action.replace("_", "-"), rich_help_panel=OPERATORS)(command)


_steering_command("pause", "Pause a timeline's simulated clock.")


_steering_command("resume", "Resume a paused timeline.")


_steering_command("step_day", "While paused, run to the next day in Washington, then pause again.")


store_app = typer.Typer(
    help="The event store: EXCOMM_EVENT_STORE, a SQLite file or a postgresql:// URL.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


app.add_typer(store_app, name="store", rich_help_panel=OPERATORS)


@store_app.command("migrate")
@handled
def store_migrate() -> None:
    """Create or upgrade the event store's schema (once per store, before its workers start)."""
    location, before, after = processes.migrate_store()
    done = "already at" if before == after else f"upgraded from schema {before} to"
    out.print(f"event store {clean(location)}: {done} schema {after}", markup=False)
