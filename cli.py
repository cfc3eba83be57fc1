"""The `excomm` command line: each command parses its arguments, calls one function of
the service layer (service.api) and renders what it returns.

Errors are one line on stderr, `excomm: error: ...`, with the exit status of
service.errors: 0 done, 1 refused or invalid input, 2 usage, 3 server unreachable.

The options' annotations are evaluated as the module is read (no `from __future__ import
annotations` here): typer reads every command's annotations at each start, and from
strings it would compile and evaluate each one again, a tenth of a second per command run.
"""

import asyncio
import difflib
import json
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from models.bookkeeping import why_not
from models.events import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    DomainEvent,
    EventSuppressed,
    MoveInterjected,
    event_to_json,
)
from models.pace import INSTANT, Pace, parse_pace
from models.run import Progress as TimelineProgress
from models.run import TimelineResult
from models.sides import SIDES, Side
from models.simulation import initial_state, simulate
from models.timeline import TimelineDefinition
from models.washington import to_washington, written
from service import processes
from service.analysis import front
from service.analysis.tables import FORMATS as TABLE_FORMATS
from service.errors import BadUsage, exit_status
from service.reading import plans, views
from service.reading.chronicle import Chronicle
from service.reading.text import Unpadded, clean, literal, one_line
from service.runs import control
from timelines.safe_yaml import FileProblems

# The Temporal SDK, what is built on it, and structlog take 0.4 s to import: service.api
# imports them in the functions that talk to a server (which alone log), so that the
# commands that never do (explore --runtime local, plan, validate, graph, dry-run, events
# of a timeline file) start quickly.

app = typer.Typer(
    help="Replay the Cuban Missile Crisis of October 1962 as durable Temporal workflows.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
# Piped to a file, text has no padding: rich fills lines to the console's width.
_stdout = sys.stdout if sys.stdout.isatty() else Unpadded(sys.stdout)
out = Console(file=_stdout, highlight=False, soft_wrap=True)  # type: ignore[arg-type]

# Help shows words, not Python types: an argument is its metavar (TIMELINE), not
# `TIMELINE <str>` (options say it with their metavar, flags with nothing).
typer.core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]

P = ParamSpec("P")
T = TypeVar("T")

MAX_SEED = 2**63 - 1  # a seed travels through Temporal as a 64-bit integer
MAX_RUNS = 100_000_000
MAX_BATCH = 1_000_000
MAX_WORKERS = 1024
MAX_SEQ = 2**63 - 1


def fail(message: str, status: int = 1) -> NoReturn:
    # Plain write, never wrapped: one line whatever the terminal's width.
    sys.stderr.write(f"excomm: error: {one_line(message)}\n")
    raise typer.Exit(status)


def _first_problem(exc: FileProblems) -> str:
    """A file's problems in one line: the first, and how many more `validate` will list."""
    first = str(exc.problems[0])
    more = len(exc.problems) - 1
    return first + (f" (and {more} more: excomm validate {exc.problems[0].path})" if more else "")


def _report(exc: BaseException) -> NoReturn:
    """Say an expected failure in one line with its status; let a bug show its traceback."""
    if isinstance(exc, FileProblems):
        sys.stderr.write(one_line(_first_problem(exc)) + "\n")
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
            _report(exc)

    return wrapper


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run an async service call, with logging set up (the SDK logs through it)."""
    from service.runtime.logs import configure_logging

    try:
        configure_logging()
    except Exception:
        coroutine.close()
        raise
    return _translated(coroutine)


def _translated(coroutine: Coroutine[Any, Any, T]) -> T:
    from temporalio.client import WorkflowFailureError, WorkflowQueryFailedError
    from temporalio.service import RPCError, RPCStatusCode

    try:
        return asyncio.run(coroutine)
    except WorkflowFailureError as exc:
        fail(f"the timeline failed: {exc.cause or exc}", status=1)
    except WorkflowQueryFailedError as exc:
        # Its answer could not be given (too large for a message, a worker that failed it).
        fail(f"the timeline could not answer: {exc}", status=1)
    except RPCError as exc:
        unreachable = exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)
        fail(f"the Temporal server refused: {exc.message}", status=3 if unreachable else 1)


# --- parsing option values ---------------------------------------------------------------


def _instant(text: str, option: str = "--at") -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadUsage(
            f"invalid {option} {text!r}: expected an ISO 8601 instant with offset, "
            "e.g. 1962-10-24T12:00-04:00"
        ) from None
    if value.tzinfo is None:
        raise BadUsage(f"invalid {option} {text!r}: add the UTC offset, e.g. 1962-10-24T12:00-04:00")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise BadUsage(
            f"invalid {option} {text!r}: excomm's calendar runs from {EARLIEST_YEAR} to {LATEST_YEAR}"
        )
    return value


def _pace(text: str) -> Pace:
    return parse_pace(text) if text else INSTANT


def _side(text: str | None) -> Side | None:
    if text is None:
        return None
    side = text.lower()
    if side not in SIDES:
        raise BadUsage(f"invalid --as {text!r}: use {', '.join(SIDES[:-1])} or {SIDES[-1]}")
    return side


def _choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise BadUsage(f"invalid {option} {value!r}: use {' or '.join(choices)}")
    return value


def _bounded(option: str, value: int, low: int, high: int, why: str = "") -> int:
    if not low <= value <= high:
        raise BadUsage(f"invalid {option} {value}: {why or f'between {low} and {high}'}")
    return value


def _seed(value: int, member: int | None = None, ensemble_seed: int | None = None) -> int:
    """The seed to draw with: --seed, or the seed of member N of an ensemble (as `explore
    --members` numbers them, from 0), which the same ensemble seed always gives."""
    _bounded("--seed", value, 0, MAX_SEED, f"a seed is from 0 to {MAX_SEED}")
    if member is None:
        if ensemble_seed is not None:
            raise BadUsage("--ensemble-seed S goes with --member N: the member of that ensemble to run")
        return value
    if ensemble_seed is None:
        raise BadUsage("--member N needs --ensemble-seed S, the seed the ensemble was run with")
    if value:
        raise BadUsage("give --seed, or --member with --ensemble-seed, not both")
    _bounded("--member", member, 0, MAX_RUNS - 1, "members are numbered from 0, as --members writes them")
    _bounded("--ensemble-seed", ensemble_seed, 0, MAX_SEED, f"a seed is from 0 to {MAX_SEED}")
    from models.ensemble import member_seeds

    return member_seeds(ensemble_seed, member + 1)[member]


def _json_object(text: str, option: str = "--json") -> dict[str, object]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadUsage(f"{option} is not valid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise BadUsage(f"{option} is nested too deep") from None
    if not isinstance(value, dict):
        raise BadUsage(f"{option} must be a JSON object")
    return value


def _complete_names(incomplete: str) -> list[str]:
    """Shell completion of a timeline or plan: the catalogue's names."""
    from timelines.loader import catalogue_names

    return [name for name in catalogue_names() if name.startswith(incomplete)]


TimelineArgument = Annotated[
    str,
    typer.Argument(
        metavar="TIMELINE", help="a timeline name (october-1962) or file", autocompletion=_complete_names
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
MAX_POINTS = 100_000
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


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"excomm {version('excomm')}", markup=False)
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """Replay the Cuban Missile Crisis of October 1962 as durable Temporal workflows."""


def _heading(definition: TimelineDefinition, side: Side | None) -> None:
    """Say, before anything else, what kind of timeline this is and whose view it shows."""
    kind = "the record" if definition.is_record else "a counterfactual, not the record"
    view = f", as {side.capitalize()} knew it" if side else ""
    out.print(f"[bold]{literal(definition.title)}[/bold] ({kind}{view})")


# --- timelines and plans as data -----------------------------------------------------------


@app.command()
@handled
def events(
    timeline: Annotated[
        str, typer.Argument(metavar="TIMELINE|ID", help="a timeline name (october-1962), file, or run id")
    ],
    format: Annotated[str, typer.Option("--format", metavar="FORMAT", help="jsonl or text")] = "text",
    side_name: SideOption = None,
) -> None:
    """Print the events of a timeline (as text, in the order a side learned of them with --as)."""
    _choice("--format", format, ("jsonl", "text"))
    side = _side(side_name)
    initial, found = run(control.timeline_events(timeline))
    if format == "jsonl":
        for event in found:
            _stdout.write(event_to_json(event) + "\n")
        return
    chronicle = Chronicle(out, initial, side=side)
    chronicle.feed(found)
    chronicle.close()


@app.command()
@handled
def state(
    timeline: Annotated[
        str, typer.Argument(metavar="TIMELINE|ID", help="a timeline name (october-1962), file, or run id")
    ],
    at: AtOption = None,
    side_name: SideOption = None,
) -> None:
    """Print the world state of a timeline, at its end or at a simulated instant, as JSON."""
    instant = _instant(at) if at is not None else None
    world = run(views.world_state(timeline, instant, _side(side_name)))
    _stdout.write(world.model_dump_json(indent=2) + "\n")


@app.command()
@handled
def timelines() -> None:
    """List the timelines in the catalogue."""
    for definition in plans.catalogue():
        out.print(f"{definition.id}  v{definition.version}  {definition.title}", markup=False)


@app.command()
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


@app.command()
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

    chosen: Format = _choice("--format", format, FORMATS)  # type: ignore[assignment]
    if anniversary is not None:
        if chosen != "ics":
            raise BadUsage("--anniversary applies to --format ics only")
        _bounded("--anniversary", anniversary, 1963, 9999)
    if output is not None and not output.parent.is_dir():
        fail(f"cannot write --output {output}: there is no folder {output.parent}")
    text = run(views.export(timeline, chosen, anniversary))
    if output is None:
        _stdout.write(text)
        return
    _write_whole(output, text)
    sys.stderr.write(f"excomm: wrote {one_line(str(output))} ({chosen})\n")


def _write_whole(path: Path, text: str) -> None:
    """Write a file whole or not at all: a reader never sees half an export."""
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        fail(f"cannot write --output {path}: {(exc.strerror or str(exc)).lower()}")


@app.command()
def validate(
    files: Annotated[
        list[str], typer.Argument(metavar="FILE...", help="timelines, plans or variants, by name or file")
    ],
) -> None:
    """Check files; print FILE:LINE:COL: CODE message for each problem, exit 1 if any."""
    failed = False
    for path in files:
        try:
            plans.check(path)
        except FileProblems as exc:
            failed = True
            _stdout.write("".join(f"{one_line(str(problem))}\n" for problem in exc.problems))
        except Exception as exc:  # a file must never make validate crash: report, go on
            failed = True
            status = exit_status(exc)
            code = "E-READ" if status is not None else f"E-INVALID {type(exc).__name__}:"
            _stdout.write(f"{one_line(path)}:1:1: {code} {one_line(str(exc))[:300]}\n")
        else:
            out.print(f"{clean(path)}: valid", markup=False)
    raise typer.Exit(1 if failed else 0)


@app.command()
@handled
def graph(
    name: Annotated[str, typer.Argument(metavar="PLAN", help="a plan, variant or timeline, by name or file")],
) -> None:
    """Print a plan (or a timeline's plan) as a Mermaid flowchart; a timeline of the record
    as a Mermaid timeline of its days."""
    _stdout.write(clean(plans.graph(name)))


@app.command(name="diff-variant")
@handled
def diff_variant(
    base: Annotated[str, typer.Argument(metavar="PLAN", help="a plan or variant, by name or file")],
    variant: Annotated[str, typer.Argument(metavar="VARIANT", help="a plan or variant, by name or file")],
) -> None:
    """Show what the second plan changes relative to the first."""
    for line in plans.diff_variant(base, variant) or ["no differences"]:
        out.print(clean(line), markup=False)


@app.command(name="dry-run")
@handled
def dry_run(
    timeline: Annotated[
        str, typer.Argument(metavar="TIMELINE", help="a plan, variant or timeline, by name or file")
    ],
    seed: SeedOption = 0,
    member: MemberOption = None,
    ensemble_seed: EnsembleSeedOption = None,
    settings: SetOption = None,
) -> None:
    """Run a plan in-process on a virtual clock (no server) and print its chronicle."""
    seed = _seed(seed, member, ensemble_seed)
    result = plans.dry_run(timeline, seed, settings)
    _heading(result.definition, None)
    Chronicle(out, result.initial).feed(result.events)
    out.print()
    seeded = f", seed {seed}" if result.definition.seed is not None else ""
    out.print(
        f"[bold]{len(result.events)} events[/bold], outcome: [bold]{result.world.outcome or 'none'}[/bold]"
        f"{_reached_on(result.events)} (simulated in-process in {result.elapsed_s * 1000:.1f} ms{seeded})"
    )


def _reached_on(events: list[DomainEvent]) -> str:
    """When the outcome was reached, as a members file's `outcome_day` gives it."""
    from models.members import outcome_of

    _, at = outcome_of(events)
    return f" on {to_washington(at):%a %d %b %Y}" if at is not None else ""


@app.command()
@handled
def explore(
    variant: Annotated[
        str,
        typer.Argument(metavar="VARIANT", help="a plan or variant with seeded behaviour, by name or file"),
    ],
    runs: Annotated[int, typer.Option("--runs", metavar="N", help="how many members")] = 1000,
    seed: SeedOption = 0,
    runtime: RuntimeOption = "local",
    workers: EnsembleWorkersOption = None,
    batch: BatchOption = 500,
    format: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table or json")] = "table",
    plot_file: PlotOption = None,
    members_file: Annotated[
        Path | None,
        typer.Option(
            "--members",
            metavar="FILE",
            help="also write a row per member: what it drew, what came of it (.parquet, .csv, .jsonl)",
        ),
    ] = None,
    settings: SetOption = None,
) -> None:
    """Run N seeded members of a variant and tabulate their outcomes, days and rungs."""
    _ensemble_options(runs, seed, runtime, workers, batch, format, plot_file, members=members_file)
    bar, progress = _ensemble_bar(variant, runs, format)
    try:
        if runtime == "local":
            result = front.explore(variant, runs, seed, workers, progress, plot_file, members_file, settings)
        else:
            result = run(
                front.explore_durably(variant, runs, seed, workers, batch, progress, plot_file, settings)
            )
    finally:
        if bar:
            bar.stop()
    if format == "json":
        _stdout.write(result.model_dump_json(indent=2) + "\n")
        _wrote(plot=plot_file, members=members_file)
        return
    out.print(
        f"[bold]{literal(result.variant)}[/bold] v{result.version}: "
        f"{result.runs} runs from seed {result.seed} "
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
    if result.refused:
        out.print(
            f"  refused by the world: {result.refused} moves its behaviour played, in "
            f"{result.members_refused} members ({result.members_refused / result.runs:.1%})",
            markup=False,
        )
    _wrote(plot=plot_file, members=members_file)


def _ensemble_options(
    runs: int,
    seed: int,
    runtime: str,
    workers: int | None,
    batch: int,
    format: str,
    plot_file: Path | None,
    **tables: Path | None,
) -> None:
    """The options `explore` and `sweep` share, checked before anything runs; `tables` are
    the table files asked for, by option (`members`, `table`)."""
    if plot_file is not None and plot_file.suffix.lower() not in (".png", ".svg"):
        raise BadUsage(f"invalid --plot {plot_file}: the file must end in .png or .svg")
    if tables.get("members") is not None and runtime == "temporal":
        raise BadUsage(
            "--members is written by --runtime local: a member is the same whichever runtime "
            "runs it, so the local rows are the Temporal run's members"
        )
    for option, path in tables.items():
        if path is not None and path.suffix.lower() not in TABLE_FORMATS:
            raise BadUsage(f"invalid --{option} {path}: the file must end in {', '.join(TABLE_FORMATS)}")
    _bounded("--runs", runs, 1, MAX_RUNS, f"an ensemble has from 1 to {MAX_RUNS:,} members")
    _seed(seed)
    _choice("--runtime", runtime, ("local", "temporal"))
    _choice("--format", format, ("table", "json"))
    if workers is not None:
        _bounded("--workers", workers, 1 if runtime == "local" else 0, MAX_WORKERS)
    _bounded("--batch", batch, 1, MAX_BATCH, f"from 1 to {MAX_BATCH:,} members per batch")


def _wrote(**files: Path | None) -> None:
    """Say where each file asked for was written (on stderr: stdout may be a JSON answer)."""
    sys.stdout.flush()
    for what, path in files.items():
        if path is not None:
            sys.stderr.write(f"excomm: {what} written to {Path(path).resolve()}\n")


@app.command()
@handled
def sweep(
    variant: Annotated[str, typer.Argument(metavar="VARIANT", help="a plan or variant, by name or file")],
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            metavar="PATH=LOW..HIGH",
            help="a parameter and its range, as deadline=24h..120h or behaviour.allies.turkey.agree=0.1..0.9",
        ),
    ] = None,
    points: Annotated[int, typer.Option("--points", metavar="N", help="how many points to sample")] = 16,
    runs: Annotated[int, typer.Option("--runs", metavar="N", help="members at each point")] = 500,
    seed: SeedOption = 0,
    sampler: Annotated[
        str,
        typer.Option(
            "--sampler", metavar="SAMPLER", help="lhs, sobol, grid, or saltelli (for Sobol indices)"
        ),
    ] = "lhs",
    runtime: RuntimeOption = "local",
    workers: EnsembleWorkersOption = None,
    batch: BatchOption = 500,
    format: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table or json")] = "table",
    table_file: Annotated[
        Path | None,
        typer.Option("--table", metavar="FILE", help="also write the table (.parquet, .csv, .jsonl)"),
    ] = None,
    plot_file: PlotOption = None,
    members_file: Annotated[
        Path | None,
        typer.Option("--members", metavar="FILE", help="also write a row per member of every point (local)"),
    ] = None,
) -> None:
    """Sample a plan's parameters over ranges and run an ensemble at each point."""
    from service.analysis.sweep import SAMPLERS

    _bounded("--points", points, 1, MAX_POINTS)
    _choice("--sampler", sampler, SAMPLERS)
    _ensemble_options(
        runs, seed, runtime, workers, batch, format, plot_file, table=table_file, members=members_file
    )
    if points * runs > MAX_RUNS:
        raise BadUsage(f"--points {points} x --runs {runs}: a sweep runs at most {MAX_RUNS:,} members in all")
    bar, progress = _ensemble_bar(variant, points * runs, format)
    try:
        if runtime == "local":
            result = front.sweep(
                variant,
                vary or [],
                points,
                runs,
                seed,
                sampler,
                workers,
                progress,
                table_file,
                plot_file,
                members_file,
            )
        else:
            result = run(
                front.sweep_durably(
                    variant,
                    vary or [],
                    points,
                    runs,
                    seed,
                    sampler,
                    workers,
                    batch,
                    progress,
                    table_file,
                    plot_file,
                )
            )
    finally:
        if bar:
            bar.stop()
    if format == "json":
        _stdout.write(json.dumps({**_sweep_heading(result), "points": result.rows()}, indent=2) + "\n")
    else:
        _print_sweep(result)
    _wrote(table=table_file, plot=plot_file, members=members_file)


@app.command()
@handled
def discover(
    table_file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="a members file (explore/sweep --members) or a sweep's --table"),
    ],
    outcome: Annotated[
        str, typer.Option("--outcome", metavar="OUTCOME", help="the outcome to explain")
    ] = "military_action",
    rules: Annotated[int, typer.Option("--rules", metavar="N", help="at most N rules")] = 3,
    depth: Annotated[int, typer.Option("--depth", metavar="N", help="at most N conditions a rule")] = 3,
    format: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table or json")] = "table",
) -> None:
    """Which inputs matter: rules under which an outcome happens (members), or Sobol
    indices of its share (a sweep sampled with --sampler saltelli)."""
    _bounded("--rules", rules, 1, 100)
    _bounded("--depth", depth, 1, 10)
    _choice("--format", format, ("table", "json"))
    table = front.read_members(table_file)
    if front.is_sweep_table(table):
        indices = front.sobol(table, outcome)
        if format == "json":
            _stdout.write(indices.to_json(orient="records", indent=2) + "\n")
            return
        shown = literal(outcome)
        out.print(f"Sobol indices of the share of [bold]{shown}[/bold] over {len(table)} points (95% CI):")
        for row in indices.itertuples():
            out.print(
                f"  {row.parameter:<36} first order {row.S1:6.3f} ± {row.S1_conf:.3f}   "
                f"total {row.ST:6.3f} ± {row.ST_conf:.3f}",
                markup=False,
            )
        return
    found = front.discover(table, outcome, rules, depth)
    if format == "json":
        payload = {
            "outcome": found.outcome,
            "members": found.members,
            "hits": found.hits,
            "rules": front.rules_table(found).to_dict(orient="records"),
        }
        _stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    out.print(
        f"[bold]{literal(outcome)}[/bold] in {found.hits:,} of {found.members:,} members ({found.share:.1%})"
    )
    if not found.rules:
        out.print("  no rule picks out members where it is more common than that", markup=False)
    for rule in found.rules:
        out.print(f"  - {rule.text()}", markup=False)
        out.print(
            f"    density {rule.density:.1%}, coverage {rule.coverage:.1%}, {rule.members:,} members",
            markup=False,
        )


def _sweep_heading(result: Any) -> dict[str, object]:
    return {
        "variant": result.variant,
        "version": result.version,
        "seed": result.seed,
        "runs": result.runs,
        "sampler": result.sampler,
        "parameters": [
            {
                "path": r.parameter.path,
                "column": r.parameter.column,
                "kind": r.parameter.kind,
                "low": r.low,
                "high": r.high,
                "unit": "hours" if r.parameter.kind == "duration" else None,
            }
            for r in result.ranges
        ],
        "runtime": result.runtime,
        "workers": result.workers,
        "elapsed_s": result.elapsed_s,
    }


def _print_sweep(result: Any) -> None:
    out.print(
        f"[bold]{literal(result.variant)}[/bold] v{result.version}: {len(result.points)} points "
        f"({result.sampler}) x {result.runs} members from seed {result.seed} "
        f"({result.runtime}, {result.workers} workers, {result.elapsed_s:.2f} s)"
    )
    grid = Table(box=None, pad_edge=False)
    grid.add_column("point", justify="right")
    for span in result.ranges:
        grid.add_column(literal(span.parameter.path), justify="right")
    for outcome in result.outcomes:
        grid.add_column(f"{literal(outcome)} (95% CI)", justify="right")
    for point, row in zip(result.points, result.rows(), strict=True):
        cells = [str(point.index)]
        cells += [span.parameter.written(point.values[span.parameter]) for span in result.ranges]
        cells += [
            # Short enough that a row fits a terminal: the interval to the percent.
            f"{row[f'share.{o}']:.1%} ({row[f'low.{o}']:.0%}-{row[f'high.{o}']:.0%})"
            for o in result.outcomes
        ]
        grid.add_row(*cells)
    out.print(grid)


def _ensemble_bar(label: str, total: int, format: str) -> tuple[Progress | None, Callable[[int], None]]:
    """A progress bar on a terminal (gone once done), and what reports to it."""
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
    task = bar.add_task(literal(label), total=total) if bar else None

    def progress(done: int) -> None:
        if bar is not None and task is not None:
            bar.update(task, completed=done)

    if bar:
        bar.start()
    return bar, progress


@app.command()
@handled
def plan(
    name: Annotated[str, typer.Argument(metavar="PLAN", help="a plan, or a timeline that runs one")] = "memo",
) -> None:
    """Print a plan's steps in order, with the memo paragraph each carries out."""
    definition, lines = plans.plan_outline(name)
    out.print(
        f"[bold]{literal(definition.title)}[/bold]  "
        f"({literal(definition.id)} v{definition.version}; {literal(', '.join(definition.sources))})"
    )
    width = max(len(paragraph) for _, paragraph, _ in lines)
    for depth, paragraph, text in lines:
        out.print(f"  [cyan]{literal(paragraph):<{width}}[/cyan]  {'  ' * depth}{literal(text)}")


# --- running timelines on Temporal -----------------------------------------------------------


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
    task = bar.add_task(literal(definition.id), total=span or 1, day="")

    def update(p: TimelineProgress) -> None:
        day = f"{to_washington(p.clock):%d %b %Y}" + (" (paused)" if p.paused else "")
        bar.update(task, completed=p.clock.timestamp() - start, day=day)

    return bar, update


def _report_trouble(run_id: str, trouble: str | None) -> None:
    if trouble is None:
        sys.stderr.write(f"excomm: timeline {one_line(run_id)} goes on\n")
    else:
        sys.stderr.write(
            f"excomm: warning: timeline {one_line(run_id)} is waiting: {one_line(trouble)}; it retries, "
            "and goes on once that is put right (Ctrl-C cancels it)\n"
        )


@app.command()
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
    side = _side(side_name)
    chosen_pace = _pace(pace)
    definition = plans.timeline_with(timeline, _seed(seed, member, ensemble_seed), settings)
    chronicle = Chronicle(out, initial_state(definition), side=side)
    bar, on_progress = _progress_bar(definition)

    def started(run_id: str) -> None:
        # Only once the run has started: a refused start leaves stdout empty.
        _heading(definition, side)
        then = "leaves it running" if detach else "cancels it"
        sys.stderr.write(f"excomm: timeline {one_line(run_id)} started; Ctrl-C {then}\n")
        if bar is not None:
            bar.start()

    seen: list[DomainEvent] = []

    def feed(events: list[DomainEvent]) -> None:
        seen.extend(events)
        chronicle.feed(events)

    report = control.Replay(started, feed, on_progress, _report_trouble)

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
        f"outcome: [bold]{result.state.outcome or 'none'}[/bold]{_reached_on(seen)}"
    )


app.command(name="run", help="Run a plan or a timeline durably through Temporal (as replay does).")(replay)


@app.command(name="signal")
@handled
def send_move(
    timeline_id: RunArgument,
    kind: Annotated[str, typer.Argument(metavar="KIND", help="soviet_reply, allied_answer or incident")],
    payload: Annotated[
        str, typer.Option("--json", metavar="PAYLOAD", help="the move's fields as a JSON object")
    ] = "{}",
) -> None:
    """Send a move to a running timeline; say whether it was taken, and if not, why."""
    fields = _json_object(payload)
    kind_taken, at = run(control.send_move(timeline_id, kind, fields))
    out.print(f"move accepted: {clean(kind_taken)} at {written(at)}", markup=False)


@app.command()
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
    chosen_pace = _pace(pace)
    definition = plans.timeline_with(timeline, _seed(seed, member, ensemble_seed), settings)
    out.print(clean(run(control.start(definition, chosen_pace, timeline_id, paused, replace))), markup=False)


@app.command()
@handled
def status(timeline_id: RunArgument) -> None:
    """Show where a running (or finished) timeline stands."""
    report = run(control.status(timeline_id))
    _note_store()
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
        out.print(f"  {_suppressed_line(event)}", markup=False)


def _note_store() -> None:
    note = control.store_note()
    if note is not None:
        sys.stderr.write(f"excomm: note: {one_line(note)}\n")


@app.command(name="list")
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
    _choice("--format", format, ("table", "json"))
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
    wanted = _choice("--status", status.lower(), statuses) if status is not None else None
    found = run(control.runs(timeline, wanted, lineage))
    _note_store()
    if format == "json":
        _stdout.write(json.dumps([r.__dict__ for r in found.runs], indent=2) + "\n")
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


@app.command()
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
    app.command(name=action.replace("_", "-"))(command)


_steering_command("pause", "Pause a timeline's simulated clock.")
_steering_command("resume", "Resume a paused timeline.")
_steering_command("step_day", "While paused, run to the next day in Washington, then pause again.")


# --- branches -----------------------------------------------------------------------------


@app.command()
@handled
def branch(
    parent_id: Annotated[str, typer.Argument(metavar="ID", help="the timeline to fork (its run id)")],
    at: AtOption = None,
    after_seq: Annotated[
        int | None, typer.Option("--after-seq", metavar="SEQ", help="fork after this event")
    ] = None,
    move: Annotated[
        list[str] | None, typer.Option("--move", metavar="KIND", help="a move kind taken at the fork")
    ] = None,
    payload: Annotated[
        list[str] | None, typer.Option("--json", metavar="PAYLOAD", help="the fields of each --move")
    ] = None,
    variant: Annotated[
        str | None, typer.Option("--variant", metavar="PLAN", help="run the branch on this plan")
    ] = None,
    behaviour: Annotated[
        str | None,
        typer.Option(
            "--behaviour",
            metavar="PLAN|FILE",
            help="the sides' seeded behaviour from the fork on: a plan or file",
        ),
    ] = None,
    seed: SeedOption = 0,
    timeline_id: Annotated[
        str | None, typer.Option("--id", metavar="ID", help="the branch's id (default: a new one)")
    ] = None,
    pace: PaceOption = "instant",
    replace: ReplaceOption = False,
) -> None:
    """Fork a timeline into a new one that takes other moves from a past point."""
    if (at is None) == (after_seq is None):
        raise BadUsage("give exactly one of --at or --after-seq")
    if after_seq is not None:
        _bounded("--after-seq", after_seq, 0, MAX_SEQ, "an event's seq, from 0")
    kinds, fields = move or [], payload or []
    if len(fields) > len(kinds):
        raise BadUsage("each --json belongs to a --move before it")
    moves = [
        {**(_json_object(fields[index], f"--json {index + 1}") if index < len(fields) else {}), "kind": kind}
        for index, kind in enumerate(kinds)
    ]
    new_id, fork_seq = run(
        control.branch(
            parent_id,
            at=_instant(at) if at is not None else None,
            after_seq=after_seq,
            moves=moves,
            variant=variant,
            behaviour=behaviour,
            seed=_seed(seed),
            branch_id=timeline_id,
            pace=_pace(pace),
            replace=replace,
        )
    )
    out.print(clean(new_id), markup=False)
    sys.stderr.write(f"forked from {one_line(parent_id)} after seq {fork_seq}\n")


@app.command()
@handled
def diff(
    first: Annotated[str, typer.Argument(metavar="A", help="a timeline run id (or a name)")],
    second: Annotated[str, typer.Argument(metavar="B", help="a timeline run id (or a name)")],
    at: Annotated[
        str | None, typer.Option("--at", metavar="INSTANT", help="also compare the states at this instant")
    ] = None,
) -> None:
    """Show what one timeline did that the other did not, matched by content, and a summary."""
    instant = _instant(at) if at is not None else None
    found = run(views.compare_timelines(first, second, instant))
    comparison = found.comparison
    names = {"first": clean(first), "second": clean(second)}
    if comparison.first_divergence is None:
        out.print(f"no divergence: the same {found.events[0]} events", markup=False)
    for difference in comparison.differences:
        event = difference.event
        if isinstance(event, EventSuppressed):
            out.print(f"{names[difference.side]}: {_suppressed_line(event)}", markup=False)
        else:
            kind = f"{event.type} ({event.provenance})"
            out.print(
                f"only in {names[difference.side]}: {written(event.at)}  {kind}  {clean(event.summary)}",
                markup=False,
            )
    summary = Table("", literal(first), literal(second), title="summary", title_justify="left", box=None)
    a, b = comparison.first, comparison.second
    assert a is not None and b is not None
    divergence = comparison.first_divergence
    if divergence is not None:
        summary.add_row("first divergence", written(divergence.event.at), "")
    summary.add_row("outcome", a.outcome or "none", b.outcome or "none")
    summary.add_row("rungs reached", ", ".join(a.rungs) or "-", ", ".join(b.rungs) or "-")
    summary.add_row("events", str(a.events), str(b.events))
    summary.add_row("suppressed", str(a.suppressed), str(b.suppressed))
    out.print()
    out.print(summary)
    if instant is not None and found.states_at is not None:
        state_a, state_b = (s.model_dump(mode="json") for s in found.states_at)
        changed = [k for k in state_a if k not in ("at", "last_seq") and state_a[k] != state_b[k]]
        out.print(
            f"state at {to_washington(instant):%d %b %Y %H:%M %Z}: " + ("the same" if not changed else ""),
            markup=False,
        )
        for key in changed:
            out.print(f"  {key}: {json.dumps(state_a[key])}  |  {json.dumps(state_b[key])}", markup=False)


def _suppressed_line(event: EventSuppressed) -> str:
    """One line for what history did not do, and why: for status and diff."""
    local = to_washington(event.at)
    what = event.summary.split("): ", 1)[-1]
    # A move the world's rules refused was never on the record: it did not happen at all.
    lead = "refused by the world" if event.cause == "refused" else "suppressed from the record"
    return clean(
        f"{lead}: {local:%d %b %H:%M} {local.tzname()} {event.suppressed} ({why_not(event)}): {what}"
    )


@app.command()
@handled
def tree(
    timeline_id: Annotated[str, typer.Argument(metavar="ID", help="any timeline of the lineage")],
) -> None:
    """Show a timeline's lineage: the root, every branch, its fork point and its outcome."""
    root = control.lineage(timeline_id)
    out.print(_node(root), soft_wrap=True)

    # Drawn by hand, a line per timeline, never cut at the terminal's width: a branch's line
    # (its fork and moves) is long, and scripts read it whole.
    def grow(parent: control.LineageNode, indent: str) -> None:
        for index, child in enumerate(parent.children):
            last = index == len(parent.children) - 1
            out.print(f"{indent}{'└── ' if last else '├── '}{_node(child)}", soft_wrap=True)
            grow(child, indent + ("    " if last else "│   "))

    grow(root, "")


def _node(node: control.LineageNode) -> str:
    """A timeline in its lineage: where it was forked, the moves it took there, its outcome."""
    fork_text = ""
    if node.fork_seq is not None:
        taken = [e for e in node.events if isinstance(e, MoveInterjected) and e.seq > node.fork_seq]
        # The fork instant: where its first move was taken, or else the last event it kept.
        forked_at = (
            taken[0].at if taken else next((e.at for e in node.events if e.seq == node.fork_seq), None)
        )
        when = f" at {to_washington(forked_at):%d %b %Y %H:%M %Z}" if forked_at is not None else ""
        moves = [_move_words(e.move) for e in taken]
        lineage = node.timeline
        fork_text = (
            f"  forked after seq {node.fork_seq}{when}"
            + (f"; moves: {'; '.join(moves)}" if moves else "")
            + (f"; variant {lineage.variant}" if lineage.variant else "")
            + (f"; behaviour {lineage.behaviour}" if lineage.behaviour else "")
        )
    outcome = node.world.outcome or "no outcome yet"
    return f"{literal(node.timeline.timeline_id)}{literal(fork_text)}  [bold]{outcome}[/bold]"


def _move_words(move: dict[str, object]) -> str:
    """A move in a few words: its kind and what it says."""
    said = [str(move[key]) for key in ("track", "ally", "incident", "answer", "subject") if key in move]
    return " ".join([str(move.get("kind", "move")), *said])


# --- processes ---------------------------------------------------------------------------------


def _until_stopped() -> asyncio.Event:
    """An event set by Ctrl-C or SIGTERM, so both shut the worker and server down in order."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


# The classroom's port: beside the web UI's 8233, unlikely to be taken.
CLASSROOM_PORT = 8962


@app.command()
@handled
def server(
    ip: Annotated[
        str, typer.Option("--ip", metavar="ADDRESS", help="address to bind; 127.0.0.1 unless you need more")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", help="Temporal frontend port")] = 7233,
    ui_port: Annotated[int, typer.Option("--ui-port", metavar="PORT", help="web UI port")] = 8233,
    classroom_port: Annotated[
        int, typer.Option("--classroom-port", metavar="PORT", help="the classroom's port (0: any free)")
    ] = CLASSROOM_PORT,
    with_classroom: Annotated[
        bool, typer.Option("--classroom/--no-classroom", help="serve the classroom too (the default)")
    ] = True,
) -> None:
    """Run the embedded Temporal server, a worker and the classroom in the foreground
    (Ctrl-C stops them)."""
    from service.runtime.logs import configure_logging

    _bounded("--port", port, 1, 65535)
    _bounded("--ui-port", ui_port, 1, 65535)
    _bounded("--classroom-port", classroom_port, 0, 65535)
    if not _loopback(ip):
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
            _until_stopped(),
            classroom_port if with_classroom else None,
            _classroom_ready(show_ctrl_c=False),
        )

    _translated(serve())
    out.print("Stopped.")


def _classroom_ready(show_ctrl_c: bool) -> Callable[[Any], None]:
    def ready(opened: Any) -> None:
        out.print(
            f"Classroom: teacher at [bold]{literal(opened.teacher_url)}[/bold] (keep it: its key controls)"
        )
        out.print(f"           students at [bold]{literal(opened.student_url)}[/bold] (read-only)")
        if show_ctrl_c:
            out.print("Ctrl-C to stop.")
        _stdout.flush()

    return ready


@app.command()
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

    _bounded("--port", port, 0, 65535)
    if not _loopback(host):
        sys.stderr.write(
            f"excomm: note: --host {one_line(host)}: anyone who can reach it can watch the class; "
            "only the teacher's key (in the printed link) controls it\n"
        )
    configure_logging(level="WARNING")

    async def serve() -> None:
        await processes.classroom(host, port, _classroom_ready(show_ctrl_c=True), _until_stopped())

    _translated(serve())
    out.print("Stopped.")


def _loopback(ip: str) -> bool:
    import ipaddress

    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


@app.command()
@handled
def worker() -> None:
    """Run a worker against a configured cluster (or the running `excomm server`)."""
    from service.runtime.logs import configure_logging

    configure_logging(level="INFO")

    def ready(address: str, store: str) -> None:
        out.print(f"Worker polling on {literal(address)}; event store: {literal(store)}; Ctrl-C to stop.")

    async def work() -> None:
        await processes.work(ready, _until_stopped())

    _translated(work())


store_app = typer.Typer(
    help="The event store: EXCOMM_EVENT_STORE, a SQLite file or a postgresql:// URL.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.add_typer(store_app, name="store")


@store_app.command("migrate")
@handled
def store_migrate() -> None:
    """Create or upgrade the event store's schema (once per store, before its workers start)."""
    location, before, after = processes.migrate_store()
    done = "already at" if before == after else f"upgraded from schema {before} to"
    out.print(f"event store {clean(location)}: {done} schema {after}", markup=False)


# --- the program ---------------------------------------------------------------------------------


def _usage_error(exc: Exception) -> str:
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


def main() -> NoReturn:
    import os

    from typer._click.exceptions import ClickException, UsageError

    status = 0
    try:
        result = typer.main.get_command(app).main(standalone_mode=False)
        status = result if isinstance(result, int) else 0
    except UsageError as exc:
        sys.stderr.write(f"excomm: error: {_usage_error(exc)}\n")
        status = 2
    except ClickException as exc:
        sys.stderr.write(f"excomm: error: {one_line(exc.format_message())}\n")
        status = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("excomm: interrupted\n")
        status = 130
    except typer.Exit as exc:
        status = exc.exit_code
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    try:
        if isinstance(_stdout, Unpadded):
            _stdout.finish()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left early (`excomm export ... | head`): what it read is what it wanted.
        pass
    sys.stderr.flush()
    # The SDK's native runtime can crash at interpreter shutdown after a clean run
    # (sdk-python#300); leave without running finalisers so the status is ours.
    os._exit(status)


if __name__ == "__main__":
    main()
