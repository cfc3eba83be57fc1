"""The educators' commands: replay the crisis (the record or a plan), read its events and
the world as each side knew it, open its sources, export it, and hold the classroom."""

import asyncio
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import (
    CLASSROOM_PORT,
    EDUCATORS,
    AtOption,
    EnsembleSeedOption,
    IdOption,
    MemberOption,
    PaceOption,
    ReplaceOption,
    SeedOption,
    SetOption,
    SideOption,
    TimelineArgument,
    app,
    classroom_ready,
    fail,
    handled,
    heading,
    loopback,
    out,
    progress_bar,
    reached_on,
    report_trouble,
    run,
    stdout,
    until_stopped,
    write_whole,
)
from models.events import (
    DomainEvent,
    event_to_json,
)
from models.run import TimelineResult
from models.simulation import initial_state
from service import inputs, processes
from service.errors import BadUsage
from service.reading import plans, views
from service.reading.chronicle import Chronicle
from service.reading.text import clean, literal, one_line
from service.runs import control
from service.runtime.calls import run_call


@app.command(rich_help_panel=EDUCATORS)
@handled
def replay(
    timeline: TimelineArgument,
    pace: PaceOption = "instant",
    timeline_id: IdOption = None,
    seed: SeedOption = 0,
    member: MemberOption = None,
    ensemble_seed: EnsembleSeedOption = None,
    settings: SetOption = None,
    side_name: SideOption = None,
    replace: ReplaceOption = False,
    detach: Annotated[
        bool, typer.Option("--detach", help="on Ctrl-C, leave the timeline running instead of cancelling it")
    ] = False,
) -> None:
    """Run a timeline through Temporal and print its chronicle, day by day."""
    side = inputs.side(side_name)
    chosen_pace = inputs.pace(pace)
    definition = plans.timeline_with(timeline, inputs.seed(seed, member, ensemble_seed), settings)
    chronicle = Chronicle(out, initial_state(definition), side=side)
    bar, on_progress = progress_bar(definition)

    def started(run_id: str) -> None:
        # Only once the run has started: a refused start leaves stdout empty.
        heading(definition, side)
        then = "leaves it running" if detach else "cancels it"
        sys.stderr.write(f"excomm: timeline {one_line(run_id)} started; Ctrl-C {then}\n")
        if bar is not None:
            bar.start()

    seen: list[DomainEvent] = []

    def feed(events: list[DomainEvent]) -> None:
        seen.extend(events)
        chronicle.feed(events)

    report = control.Replay(started, feed, on_progress, report_trouble)

    async def replaying() -> tuple[str, TimelineResult]:
        # A closed terminal (SIGHUP) or a process manager (SIGTERM) stops a replay as
        # Ctrl-C does: its run is cancelled (or, with --detach, left running) and it says so.
        # Ctrl-C too has a handler of its own: started with SIGINT ignored (by a supervisor
        # or a script), Python would keep ignoring it.
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        assert task is not None
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, task.cancel)
        return await control.replay(definition, chosen_pace, timeline_id, replace, detach, report)

    try:
        run_id, result = run(replaying())
    except control.Interrupted as stopped:
        if bar is not None:
            bar.stop()
        shown = one_line(stopped.run_id)
        if stopped.cancelled:
            sys.stderr.write(f"excomm: timeline {shown} cancelled; what it recorded stays\n")
        else:
            sys.stderr.write(
                f"excomm: timeline {shown} left running: `excomm status {shown}`, `excomm list`; "
                "it goes on under `excomm server`\n"
            )
        raise typer.Exit(130) from None
    finally:
        if bar is not None:
            bar.stop()
    chronicle.close()
    out.print()
    out.print(
        f"[bold]{result.events} events[/bold] on timeline [bold]{literal(run_id)}[/bold]; "
        f"outcome: [bold]{result.state.outcome or 'none'}[/bold]{reached_on(seen)}"
    )


@app.command(rich_help_panel=EDUCATORS)
@handled
def events(
    timeline: Annotated[
        str, typer.Argument(metavar="TIMELINE|ID", help="a timeline name (october-1962), file, or run id")
    ],
    format: Annotated[str, typer.Option("--format", metavar="FORMAT", help="jsonl or text")] = "text",
    side_name: SideOption = None,
) -> None:
    """Print the events of a timeline (as text, in the order a side learned of them with --as)."""
    inputs.choice("--format", format, ("jsonl", "text"))
    side = inputs.side(side_name)
    initial, found = run(control.timeline_events(timeline))
    if format == "jsonl":
        for event in found:
            stdout.write(event_to_json(event) + "\n")
        return
    chronicle = Chronicle(out, initial, side=side)
    chronicle.feed(found)
    chronicle.close()


@app.command(rich_help_panel=EDUCATORS)
@handled
def state(
    timeline: Annotated[
        str, typer.Argument(metavar="TIMELINE|ID", help="a timeline name (october-1962), file, or run id")
    ],
    at: AtOption = None,
    side_name: SideOption = None,
) -> None:
    """Print the world state of a timeline, at its end or at a simulated instant, as JSON."""
    instant = inputs.instant(at) if at is not None else None
    world = run(views.world_state(timeline, instant, inputs.side(side_name)))
    stdout.write(world.model_dump_json(indent=2) + "\n")


@app.command(rich_help_panel=EDUCATORS)
@handled
def timelines() -> None:
    """List the timelines in the catalogue."""
    for definition in plans.catalogue():
        out.print(f"{definition.id}  v{definition.version}  {definition.title}", markup=False)


@app.command(rich_help_panel=EDUCATORS)
@handled
def source(
    citation: Annotated[
        str, typer.Argument(metavar="CITATION", help='e.g. "FRUS 1961-63 v06 d65" or "Dobbs 2008"')
    ],
) -> None:
    """Open a cited source: its full text where excomm ships it, else its record and address."""
    found = plans.source(citation)
    where = f", {found.locator}" if found.locator else ""
    out.print(f"[bold]{literal(found.citation + where)}: {literal(found.title)}[/bold]")
    for line in (found.byline, found.date and f"dated {found.date}", found.address):
        if line:
            out.print(f"[dim]{literal(line)}[/dim]")
    if found.note:
        out.print(f"[dim]{literal(found.note)}[/dim]")
    if found.text is not None:
        out.print()
        out.print(clean(found.text), markup=False)
    elif found.kind == "record":
        out.print("excomm ships this document's record, not its text: read it at the address above.")


@app.command(rich_help_panel=EDUCATORS)
@handled
def export(
    timeline: Annotated[
        str, typer.Argument(metavar="TIMELINE|ID", help="a timeline name (october-1962), file, or run id")
    ],
    format: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="timelinejs, ics, csv or html (a handout)")
    ] = "timelinejs",
    anniversary: Annotated[
        int | None,
        typer.Option(
            "--anniversary",
            metavar="YEAR",
            help="ics: each event on its date in YEAR, at its Washington hour",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="write to FILE, not standard output")
    ] = None,
) -> None:
    """Export a timeline or run for TimelineJS, a calendar, a spreadsheet, or print (a handout)."""
    from service.reading.exports import FORMATS, Format

    chosen: Format = inputs.choice("--format", format, FORMATS)  # type: ignore[assignment]
    if anniversary is not None:
        if chosen != "ics":
            raise BadUsage("--anniversary applies to --format ics only")
        inputs.bounded("--anniversary", anniversary, 1963, 9999)
    if output is not None and not output.parent.is_dir():
        fail(f"cannot write --output {output}: there is no folder {output.parent}")
    text = run(views.export(timeline, chosen, anniversary))
    if output is None:
        stdout.write(text)
        return
    write_whole(output, text)
    sys.stderr.write(f"excomm: wrote {one_line(str(output))} ({chosen})\n")


@app.command(rich_help_panel=EDUCATORS)
@handled
def classroom(
    host: Annotated[
        str,
        typer.Option(
            "--host", metavar="ADDRESS", help="address to listen on; a LAN address lets students join"
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", help="the classroom's port (0: any free)")
    ] = CLASSROOM_PORT,
) -> None:
    """Serve the classroom: teach a timeline day by day, live, to students' browsers."""
    from service.runtime.logs import configure_logging

    inputs.bounded("--port", port, 0, 65535)
    if not loopback(host):
        sys.stderr.write(
            f"excomm: note: --host {one_line(host)}: anyone who can reach it can watch the class; "
            "only the teacher's key (in the printed link) controls it\n"
        )
    configure_logging(level="WARNING")

    async def serve() -> None:
        await processes.classroom(host, port, classroom_ready(show_ctrl_c=True), until_stopped())

    run_call(serve())
    out.print("Stopped.")
