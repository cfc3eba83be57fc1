"""The designers' commands: validate a plan or timeline file, read a plan's outline, draw
it, compare a variant with its base, and dry-run it on a virtual clock."""

from typing import Annotated

import typer

from cli.common import (
    DESIGNERS,
    EnsembleSeedOption,
    MemberOption,
    SeedOption,
    SetOption,
    app,
    handled,
    heading,
    out,
    reached_on,
    stdout,
)
from service import inputs
from service.errors import exit_status
from service.reading import plans
from service.reading.chronicle import Chronicle
from service.reading.text import clean, literal, one_line
from timelines.safe_yaml import FileProblems


@app.command(rich_help_panel=DESIGNERS)
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
            stdout.write("".join(f"{one_line(str(problem))}\n" for problem in exc.problems))
        except Exception as exc:  # a file must never make validate crash: report, go on
            failed = True
            status = exit_status(exc)
            code = "E-READ" if status is not None else f"E-INVALID {type(exc).__name__}:"
            stdout.write(f"{one_line(path)}:1:1: {code} {one_line(str(exc))[:300]}\n")
        else:
            out.print(f"{clean(path)}: valid", markup=False)
    raise typer.Exit(1 if failed else 0)


@app.command(rich_help_panel=DESIGNERS)
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


@app.command(rich_help_panel=DESIGNERS)
@handled
def graph(
    name: Annotated[str, typer.Argument(metavar="PLAN", help="a plan, variant or timeline, by name or file")],
) -> None:
    """Print a plan (or a timeline's plan) as a Mermaid flowchart; a timeline of the record
    as a Mermaid timeline of its days."""
    stdout.write(clean(plans.graph(name)))


@app.command(name="diff-variant", rich_help_panel=DESIGNERS)
@handled
def diff_variant(
    base: Annotated[str, typer.Argument(metavar="PLAN", help="a plan or variant, by name or file")],
    variant: Annotated[str, typer.Argument(metavar="VARIANT", help="a plan or variant, by name or file")],
) -> None:
    """Show what the second plan changes relative to the first."""
    for line in plans.diff_variant(base, variant) or ["no differences"]:
        out.print(clean(line), markup=False)


@app.command(name="dry-run", rich_help_panel=DESIGNERS)
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
    seed = inputs.seed(seed, member, ensemble_seed)
    result = plans.dry_run(timeline, seed, settings)
    heading(result.definition, None)
    Chronicle(out, result.initial).feed(result.events)
    out.print()
    seeded = f", seed {seed}" if result.definition.seed is not None else ""
    out.print(
        f"[bold]{len(result.events)} events[/bold], outcome: [bold]{result.world.outcome or 'none'}[/bold]"
        f"{reached_on(result.events)} (simulated in-process in {result.elapsed_s * 1000:.1f} ms{seeded})"
    )
