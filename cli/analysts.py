"""The analysts' commands: run a member durably, send moves to a running timeline, branch
it, compare and trace branches, and run ensembles, sweeps and discovery."""

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from cli.common import (
    ANALYSTS,
    AtOption,
    BatchOption,
    EnsembleWorkersOption,
    PaceOption,
    PlotOption,
    ReplaceOption,
    RunArgument,
    RuntimeOption,
    SeedOption,
    SetOption,
    app,
    handled,
    out,
    run,
    stdout,
    suppressed_line,
)
from cli.educators import replay
from models.events import (
    EventSuppressed,
    MoveInterjected,
)
from models.washington import to_washington, written
from service import inputs
from service.analysis import front
from service.analysis.tables import FORMATS as TABLE_FORMATS
from service.errors import BadUsage
from service.reading import views
from service.reading.text import clean, literal, one_line
from service.runs import control

# `run` is replay by another name, where analysts look for it: a member run durably.
app.command(
    name="run",
    help="Run a plan or a timeline durably through Temporal (as replay does).",
    rich_help_panel=ANALYSTS,
)(replay)


@app.command(rich_help_panel=ANALYSTS)
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
        stdout.write(result.model_dump_json(indent=2) + "\n")
        _wrote(plot=plot_file, members=members_file)
        return
    out.print(
        f"[bold]{literal(result.variant)}[/bold] v{result.version}: "
        f"{result.runs} runs from seed {result.seed} "
        f"({result.runtime}, {result.workers} workers, {result.elapsed_s:.2f} s)"
    )
    if result.settings:
        out.print(f"  with {', '.join(literal(s) for s in result.settings)}", markup=False)
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
    inputs.choice("--runtime", runtime, ("local", "temporal"))
    inputs.ensemble(runs, seed, workers, runtime == "local", batch)
    inputs.choice("--format", format, ("table", "json"))


def _wrote(**files: Path | None) -> None:
    """Say where each file asked for was written (on stderr: stdout may be a JSON answer)."""
    sys.stdout.flush()
    for what, path in files.items():
        if path is not None:
            sys.stderr.write(f"excomm: {what} written to {Path(path).resolve()}\n")


@app.command(rich_help_panel=ANALYSTS)
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
    _ensemble_options(
        runs, seed, runtime, workers, batch, format, plot_file, table=table_file, members=members_file
    )
    inputs.sweep(points, sampler, runs)
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
        stdout.write(json.dumps({**_sweep_heading(result), "points": result.rows()}, indent=2) + "\n")
    else:
        _print_sweep(result)
    _wrote(table=table_file, plot=plot_file, members=members_file)


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


@app.command(rich_help_panel=ANALYSTS)
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
    min_leaf: Annotated[
        float,
        typer.Option("--min-leaf", metavar="SHARE", help="the smallest box a rule may describe, as 0.02"),
    ] = 0.02,
    format: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table or json")] = "table",
) -> None:
    """Which inputs matter: rules under which an outcome happens (members), or Sobol
    indices of its share (a sweep sampled with --sampler saltelli)."""
    inputs.discovery(rules, depth, min_leaf)
    inputs.choice("--format", format, ("table", "json"))
    table = front.read_members(table_file)
    if front.is_sweep_table(table):
        indices = front.sobol(table, outcome)
        if format == "json":
            stdout.write(indices.to_json(orient="records", indent=2) + "\n")
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
    found = front.discover(table, outcome, rules, depth, min_leaf)
    if format == "json":
        payload = {
            "outcome": found.outcome,
            "members": found.members,
            "hits": found.hits,
            "depth": found.depth,
            "min_leaf": found.min_leaf,
            "smallest_box": found.smallest_box,
            "rules": front.rules_table(found).to_dict(orient="records"),
        }
        stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    out.print(
        f"[bold]{literal(outcome)}[/bold] in {found.hits:,} of {found.members:,} members "
        f"({found.share:.1%}); rules of at most {found.depth} conditions, "
        f"each box of at least {found.smallest_box:,} members"
    )
    if not found.rules:
        out.print("  no rule picks out members where it is more common than that", markup=False)
    for rule in found.rules:
        out.print(f"  - {rule.text()}", markup=False)
        out.print(
            f"    density {rule.density:.1%} ({rule.hits:,} of {rule.members:,} members in the box), "
            f"coverage {rule.coverage:.1%} ({rule.hits:,} of {rule.outcome_members:,})",
            markup=False,
        )


@app.command(name="signal", rich_help_panel=ANALYSTS)
@handled
def send_move(
    timeline_id: RunArgument,
    kind: Annotated[str, typer.Argument(metavar="KIND", help="soviet_reply, allied_answer or incident")],
    payload: Annotated[
        str, typer.Option("--json", metavar="PAYLOAD", help="the move's fields as a JSON object")
    ] = "{}",
) -> None:
    """Send a move to a running timeline; say whether it was taken, and if not, why."""
    fields = inputs.json_object(payload)
    kind_taken, at = run(control.send_move(timeline_id, kind, fields))
    out.print(f"move accepted: {clean(kind_taken)} at {written(at)}", markup=False)


@app.command(rich_help_panel=ANALYSTS)
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
        inputs.bounded("--after-seq", after_seq, 0, inputs.MAX_SEQ, "an event's seq, from 0")
    kinds, fields = move or [], payload or []
    if len(fields) > len(kinds):
        raise BadUsage("each --json belongs to a --move before it")
    moves = [
        {
            **(inputs.json_object(fields[index], f"--json {index + 1}") if index < len(fields) else {}),
            "kind": kind,
        }
        for index, kind in enumerate(kinds)
    ]
    new_id, fork_seq = run(
        control.branch(
            parent_id,
            at=inputs.instant(at) if at is not None else None,
            after_seq=after_seq,
            moves=moves,
            variant=variant,
            behaviour=behaviour,
            seed=inputs.seed(seed),
            branch_id=timeline_id,
            pace=inputs.pace(pace),
            replace=replace,
        )
    )
    out.print(clean(new_id), markup=False)
    sys.stderr.write(f"forked from {one_line(parent_id)} after seq {fork_seq}\n")


@app.command(rich_help_panel=ANALYSTS)
@handled
def diff(
    first: Annotated[str, typer.Argument(metavar="A", help="a timeline run id (or a name)")],
    second: Annotated[str, typer.Argument(metavar="B", help="a timeline run id (or a name)")],
    at: Annotated[
        str | None, typer.Option("--at", metavar="INSTANT", help="also compare the states at this instant")
    ] = None,
) -> None:
    """Show what one timeline did that the other did not, matched by content, and a summary."""
    instant = inputs.instant(at) if at is not None else None
    found = run(views.compare_timelines(first, second, instant))
    comparison = found.comparison
    names = {"first": clean(first), "second": clean(second)}
    if comparison.first_divergence is None:
        out.print(f"no divergence: the same {found.events[0]} events", markup=False)
    for difference in comparison.differences:
        event = difference.event
        if isinstance(event, EventSuppressed):
            out.print(f"{names[difference.side]}: {suppressed_line(event)}", markup=False)
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


@app.command(rich_help_panel=ANALYSTS)
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
