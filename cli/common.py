"""What every user's commands share: the app, the console, option types and their parsing,
the one-line rendering of errors, and the helpers that print runs and their progress.

The options' annotations are evaluated as the module is read (no `from __future__ import
annotations` here): typer reads every command's annotations at each start, and from
strings it would compile and evaluate each one again, a tenth of a second per command run.
"""

import asyncio
import difflib
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
import typer._click as click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from typer.core import TyperGroup

from models.bookkeeping import why_not
from models.events import (
    DomainEvent,
    EventSuppressed,
)
from models.run import Progress as TimelineProgress
from models.sides import Side
from models.simulation import simulate
from models.timeline import TimelineDefinition
from models.washington import to_washington
from service.errors import exit_status
from service.reading.text import Unpadded, clean, literal, one_line
from service.runs import control
from service.runtime.calls import run_call
from timelines.safe_yaml import FileProblems


class ByUser(TyperGroup):
    """`excomm --help` with the commands in one section per kind of user (their panel),
    in the order they were registered: the plain help's Commands section, grouped."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        shown = [(name, command) for name, command in commands if command is not None and not command.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        for name, command in shown:
            panel = getattr(command, "rich_help_panel", None) or "Commands"
            sections.setdefault(panel, []).append((name, command.get_short_help_str(limit)))
        for panel, rows in sections.items():
            with formatter.section(panel):
                formatter.write_dl(rows)


app = typer.Typer(
    cls=ByUser,
    help="Replay the Cuban Missile Crisis of October 1962 as durable Temporal workflows.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


# Piped to a file, text has no padding: rich fills lines to the console's width.
stdout = sys.stdout if sys.stdout.isatty() else Unpadded(sys.stdout)


out = Console(file=stdout, highlight=False, soft_wrap=True)  # type: ignore[arg-type]


# Help shows words, not Python types: an argument is its metavar (TIMELINE), not
# `TIMELINE <str>` (options say it with their metavar, flags with nothing).
typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]


# The help's panels, one per kind of user, in the order a newcomer meets them: the
# Quickstart replays the record, then plans are read and written, studied, and served.
EDUCATORS = "Educators: replay the crisis, read it and teach it"
DESIGNERS = "Designers: write and check plans"
ANALYSTS = "Analysts: run members, steer, branch and study"
OPERATORS = "Operators: servers, workers, runs and the store"

P = ParamSpec("P")


T = TypeVar("T")


def fail(message: str, status: int = 1) -> NoReturn:
    # Plain write, never wrapped: one line whatever the terminal's width.
    sys.stderr.write(f"excomm: error: {one_line(message)}\n")
    raise typer.Exit(status)


def report_failure(exc: BaseException) -> NoReturn:
    """Say an expected failure in one line with its status; let a bug show its traceback."""
    if isinstance(exc, FileProblems):
        sys.stderr.write(one_line(exc.summary()) + "\n")
        raise typer.Exit(1) from None
    status = exit_status(exc)
    if status is None:
        raise exc
    fail(str(exc), status)


def handled(func: Callable[P, T]) -> Callable[P, T]:
    """A command whose expected failures are one line and an exit status."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except (KeyboardInterrupt, asyncio.CancelledError):  # stopped before it had begun
            fail("interrupted", status=130)
        except Exception as exc:
            report_failure(exc)

    return wrapper


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run an async service call, with logging set up (the SDK logs through it)."""
    from service.runtime.logs import configure_logging

    try:
        configure_logging()
    except Exception:
        coroutine.close()
        raise
    return run_call(coroutine)


def complete_names(incomplete: str) -> list[str]:
    """Shell completion of a timeline or plan: the catalogue's names."""
    from timelines.loader import catalogue_names

    return [name for name in catalogue_names() if name.startswith(incomplete)]


TimelineArgument = Annotated[
    str,
    typer.Argument(
        metavar="TIMELINE", help="a timeline name (october-1962) or file", autocompletion=complete_names
    ),
]


RunArgument = Annotated[str, typer.Argument(metavar="ID", help="the run's id")]


SeedOption = Annotated[
    int, typer.Option("--seed", metavar="N", help="seed for a plan's stochastic behaviour")
]


SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set", metavar="PATH=VALUE", help="set a plan parameter first, as deadline=48h (repeatable)"
    ),
]


RuntimeOption = Annotated[
    str, typer.Option("--runtime", metavar="RUNTIME", help="local (in-process) or temporal")
]


EnsembleWorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers", metavar="N", help="local: processes; temporal: worker processes to start (0: none)"
    ),
]


BatchOption = Annotated[int, typer.Option("--batch", metavar="N", help="members per Temporal activity")]


PlotOption = Annotated[
    Path | None, typer.Option("--plot", metavar="FILE", help="also draw FILE.png or FILE.svg")
]


MemberOption = Annotated[
    int | None,
    typer.Option("--member", metavar="N", help="run member N (from 0) of an ensemble: with --ensemble-seed"),
]


EnsembleSeedOption = Annotated[
    int | None, typer.Option("--ensemble-seed", metavar="S", help="the seed of the ensemble --member is of")
]


SideOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        metavar="SIDE",
        help="washington, moscow or havana: as that side knew it (default: what happened)",
    ),
]


ReplaceOption = Annotated[
    bool, typer.Option("--replace", help="if the id is taken, cancel and archive that timeline first")
]


PaceOption = Annotated[
    str,
    typer.Option(
        "--pace", metavar="PACE", help="instant, real, or SIM=REAL such as 1d=10s (a day every 10 s)"
    ),
]


IdOption = Annotated[str | None, typer.Option("--id", metavar="ID", help="the run's id (default: a new one)")]


AtOption = Annotated[
    str | None, typer.Option("--at", metavar="INSTANT", help="a simulated instant, ISO 8601 with offset")
]


def heading(definition: TimelineDefinition, side: Side | None) -> None:
    """Say, before anything else, what kind of timeline this is and whose view it shows."""
    kind = "the record" if definition.is_record else "a counterfactual, not the record"
    view = f", as {side.capitalize()} knew it" if side else ""
    out.print(f"[bold]{literal(definition.title)}[/bold] ({kind}{view})")


def write_whole(path: Path, text: str) -> None:
    """Write a file whole or not at all: a reader never sees half an export."""
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(f"cannot write --output {path}: {(exc.strerror or str(exc)).lower()}")


def progress_bar(
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
    task = bar.add_task(literal(definition.id), total=span or 1, day="")

    def update(p: TimelineProgress) -> None:
        day = f"{to_washington(p.clock):%d %b %Y}" + (" (paused)" if p.paused else "")
        bar.update(task, completed=p.clock.timestamp() - start, day=day)

    return bar, update


def report_trouble(run_id: str, trouble: str | None) -> None:
    if trouble is None:
        sys.stderr.write(f"excomm: timeline {one_line(run_id)} goes on\n")
    else:
        sys.stderr.write(
            f"excomm: warning: timeline {one_line(run_id)} is waiting: {one_line(trouble)}; it retries, "
            "and goes on once that is put right (Ctrl-C cancels it)\n"
        )


def reached_on(events: list[DomainEvent]) -> str:
    """When the outcome was reached, as a members file's `outcome_day` gives it."""
    from models.members import outcome_of

    _, at = outcome_of(events)
    return f" on {to_washington(at):%a %d %b %Y}" if at is not None else ""


def note_store() -> None:
    note = control.store_note()
    if note is not None:
        sys.stderr.write(f"excomm: note: {one_line(note)}\n")


def suppressed_line(event: EventSuppressed) -> str:
    """One line for what history did not do, and why: for status and diff."""
    local = to_washington(event.at)
    what = event.summary.split("): ", 1)[-1]
    # A move the world's rules refused was never on the record: it did not happen at all.
    lead = "refused by the world" if event.cause == "refused" else "suppressed from the record"
    return clean(
        f"{lead}: {local:%d %b %H:%M} {local.tzname()} {event.suppressed} ({why_not(event)}): {what}"
    )


def until_stopped() -> asyncio.Event:
    """An event set by Ctrl-C or SIGTERM, so both shut the worker and server down in order."""

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


# The classroom's port: beside the web UI's 8233, unlikely to be taken.
CLASSROOM_PORT = 8962


def classroom_ready(show_ctrl_c: bool) -> Callable[[Any], None]:
    def ready(opened: Any) -> None:
        out.print(
            f"Classroom: teacher at [bold]{literal(opened.teacher_url)}[/bold] (keep it: its key controls)"
        )
        out.print(f"           students at [bold]{literal(opened.student_url)}[/bold] (read-only)")
        if show_ctrl_c:
            out.print("Ctrl-C to stop.")
        stdout.flush()

    return ready


def loopback(ip: str) -> bool:
    import ipaddress

    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def usage_error(exc: Exception) -> str:
    """A usage error in one line, with a suggestion for a misspelled command."""
    from typer._click.exceptions import NoSuchOption

    message = one_line(exc.format_message() if hasattr(exc, "format_message") else str(exc))
    if isinstance(exc, NoSuchOption):
        close = difflib.get_close_matches(exc.option_name, exc.possibilities or [], n=1)
        suggestion = f" (did you mean {close[0]}?)" if close else " (--help lists them)"
        return f"no such option: {clean(exc.option_name)}{suggestion}"
    if message.startswith("No such command"):
        name = message.split("'")[1] if "'" in message else ""
        commands = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
        close = difflib.get_close_matches(name, commands, n=1)
        suggestion = f" (did you mean '{close[0]}'?)" if close else " (`excomm --help` lists them)"
        return f"no such command '{clean(name)}'{suggestion}"
    message = message.rstrip(".")
    return message[0].lower() + message[1:] if message else "invalid usage"
