"""The analysts' studies, as the command line and the notebook ask for them: ensembles,
sweeps, discovery and Sobol indices, in-process or durably on Temporal, their tables and
pictures written where asked, each input checked before anything runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from models.ensemble import EnsembleTable
from models.members import Row
from models.parameters import Range
from models.plan import PlanDefinition
from service import inputs
from service.analysis.explore import explore_locally, explore_recorded
from service.analysis.sweep import Sweep
from service.errors import BadUsage, Invalid, Refused
from service.reading.plans import plan_with
from service.runtime.settings import TASK_QUEUE
from timelines.loader import (
    plan_of,
)

if TYPE_CHECKING:
    import pandas as pd
    from temporalio.client import Client

    from service.analysis.discovery import Discovery


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
        from service.analysis.tables import check_writable, frame, write_table

        check_writable(members_to, "--members")
        result, rows = explore_recorded(definition, runs, seed, workers, on_progress)
        write_table(frame(rows), members_to, "--members")
    result = result.model_copy(update={"settings": list(settings or [])})
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
    from service.analysis.explore import explore_on_temporal

    definition = plan_with(variant, settings)
    _can_write(plot_to)
    async with _ensemble_workers(workers) as (client, count):
        result = await explore_on_temporal(
            client, definition, runs, seed, count, batch, on_progress=on_progress
        )
    result = result.model_copy(update={"settings": list(settings or [])})
    _plot(result, plot_to)
    return result


@contextlib.asynccontextmanager
async def _ensemble_workers(workers: int | None) -> AsyncIterator[tuple[Client, int]]:
    """A client, and `workers` worker processes started for an ensemble (one per core by
    default); with none, the workers already polling, refused at once if there are none."""
    import os

    from service.runtime.session import session
    from service.runtime.workers import polling_workers, worker_processes

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
    in-process, and tabulate the outcome shares by point (service.analysis.sweep)."""
    from service.analysis.sweep import sweep_locally

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
    from service.analysis.sweep import point_plans, sweep_on_temporal

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
    from service.analysis.tables import read_table

    return read_table(path)


def is_sweep_table(table: pd.DataFrame) -> bool:
    return "point" in table and any(str(c).startswith("share.") for c in table.columns)


def discover(
    table: pd.DataFrame, outcome: str, rules: int = 3, depth: int = 3, min_leaf: float = 0.02
) -> Discovery:
    """Rules under which an outcome happens among members (service.analysis.discovery)."""
    from service.analysis.discovery import discover as discovering

    inputs.discovery(rules, depth, min_leaf)
    return discovering(table, outcome, rules, depth, min_leaf)


def rules_table(found: Discovery) -> pd.DataFrame:
    from service.analysis.discovery import rules_frame

    return rules_frame(found)


def sobol(sweep_table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Sobol indices of an outcome's share over a sweep sampled with Saltelli's scheme."""
    from service.analysis.sweep import sobol_indices

    return sobol_indices(sweep_table, outcome)


def _can_write_tables(**files: Path | None) -> None:
    from service.analysis.tables import check_writable

    for option, path in files.items():
        if path is not None:
            check_writable(path, "--" + option.removesuffix("_to"))


def _sweep_files(
    result: Sweep, rows: list[Row], table_to: Path | None, plot_to: Path | None, members_to: Path | None
) -> None:
    from service.analysis.tables import frame, write_table

    if table_to is not None:
        write_table(result.frame(), table_to, "--table")
    if members_to is not None:
        write_table(frame(rows), members_to, "--members")
    if plot_to is not None:
        from service.analysis.plot import plot_sweep

        try:
            plot_sweep(result, plot_to)
        except OSError as exc:
            raise Invalid(f"cannot write --plot {plot_to}: {(exc.strerror or str(exc)).lower()}") from None


def plot_to(result: EnsembleTable, path: Path) -> None:
    """Draw an ensemble to `path` (.png or .svg), checked first; one line if it cannot be."""
    _suffix(path)
    _can_write(path)
    _plot(result, path)


def sweep_plot_to(result: Sweep, path: Path) -> None:
    """Draw a sweep to `path` (.png or .svg), checked first; one line if it cannot be."""
    _suffix(path)
    _can_write(path)
    _sweep_files(result, [], None, path, None)


def _suffix(path: Path) -> None:
    if path.suffix.lower() not in (".png", ".svg"):
        raise Invalid(f"invalid --plot {path}: the file must end in .png or .svg")


def _can_write(plot_to: Path | None) -> None:
    # Checked before the ensemble runs, not after minutes of it.
    if plot_to is not None and not plot_to.parent.is_dir():
        raise Invalid(f"cannot write --plot {plot_to}: there is no folder {plot_to.parent}")


def _plot(result: EnsembleTable, plot_to: Path | None) -> None:
    if plot_to is None:
        return
    from service.analysis.plot import plot

    try:
        plot(result, plot_to)
    except OSError as exc:
        raise Invalid(f"cannot write --plot {plot_to}: {(exc.strerror or str(exc)).lower()}") from None


# --- events and states, of a timeline or of a run ---------------------------------------
