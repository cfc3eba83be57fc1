"""Sweeps: a plan's parameters sampled over ranges, an ensemble at each point.

The design comes from scipy.stats.qmc (Latin hypercube, scrambled Sobol' sequence, or a
full grid) or from SALib (Saltelli's scheme, for Sobol' indices: `excomm discover`). It is
seeded by the sweep's seed, and every point's members are drawn from that same seed:
points differ by their parameters only (common random numbers), so a difference between
two points is the parameters', not the luck of the draw. Point i is reproducible alone:
`excomm explore VARIANT --set PATH=VALUE ... --seed S` gives its row of the table.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from models.ensemble import EnsembleTable, member_seeds, table, wilson
from models.members import Row, slug
from models.parameters import BadParameter, Parameter, Range, with_values
from models.plan import PlanDefinition
from service.runtime.settings import TASK_QUEUE

if TYPE_CHECKING:
    import pandas as pd
    from temporalio.client import Client


@dataclass(frozen=True)
class SweepPoint:
    index: int
    values: dict[Parameter, float]
    table: EnsembleTable
    # What each swept weight of a Soviet answer makes of that answer's chance at this point.
    probabilities: Row = field(default_factory=dict)


# A Soviet answer's weight: relative to the other answers of its list, not a probability.
_WEIGHT = re.compile(r"^behaviour\.soviet\.(?P<track>[^.]+)\.(?P<list>options|later)\.(?P<answer>[^.]+)\.p$")


def probabilities(plan: PlanDefinition, values: dict[Parameter, float]) -> Row:
    """For each swept weight of a Soviet answer (`behaviour.soviet.cuba.options.accept.p`),
    the chance of that answer it gives per reply at this point: the weights of the options
    with that answer over the sum of its list's weights
    (`behaviour.soviet.cuba.options.accept.probability`). A list is drawn from at each
    reply (`options` for the first, and for every later one when `later` is empty)."""
    found: Row = {}
    rules = plan.behaviour.soviet if plan.behaviour is not None else ()
    for parameter in values:
        matched = _WEIGHT.match(parameter.path)
        if matched is None:
            continue
        track, answer = matched["track"], matched["answer"]
        rule = (
            rules[int(track)]
            if track.isdigit() and int(track) < len(rules)
            else next((r for r in rules if slug(r.track) == slug(track)), None)
        )
        options = (rule.options if matched["list"] == "options" else rule.later) if rule else ()
        if answer.isdigit() and int(answer) < len(options):
            answer = options[int(answer)].answer
        total = sum(o.p for o in options)
        chosen = sum(o.p for o in options if o.answer == slug(answer))
        if chosen and total:
            found[parameter.path.removesuffix(".p") + ".probability"] = round(chosen / total, 4)
    return found


@dataclass
class Sweep:
    variant: str
    version: int
    seed: int
    runs: int
    sampler: str
    ranges: list[Range]
    points: list[SweepPoint] = field(default_factory=list)
    runtime: str = "local"
    workers: int = 1
    elapsed_s: float = 0.0

    @property
    def outcomes(self) -> list[str]:
        """Every outcome any point reached, the most common first."""
        counts: dict[str, int] = {}
        for point in self.points:
            for share in point.table.outcomes:
                counts[share.outcome] = counts.get(share.outcome, 0) + share.runs
        return sorted(counts, key=lambda o: (-counts[o], o))

    def rows(self) -> list[Row]:
        """The table: a point a row, its values (durations in hours), each outcome's share
        and its 95% interval (Wilson), and how the sweep was drawn."""
        rows: list[Row] = []
        for point in self.points:
            row: Row = {"point": point.index}
            row.update({p.column: round(v, 4) for p, v in point.values.items()})
            row.update(point.probabilities)
            row["runs"] = point.table.runs
            shares = {s.outcome: s for s in point.table.outcomes}
            for outcome in self.outcomes:
                share = shares.get(outcome)
                row[f"share.{outcome}"] = share.share if share else 0.0
                row[f"low.{outcome}"] = share.ci95[0] if share else 0.0
                row[f"high.{outcome}"] = share.ci95[1] if share else _upper_when_none(point.table.runs)
            # The drawn moves the world did not admit, and the share of members with one.
            row["refused"] = point.table.refused
            row["refused.members"] = round(point.table.members_refused / max(point.table.runs, 1), 6)
            row.update({"sampler": self.sampler, "seed": self.seed, "variant": self.variant})
            rows.append(row)
        return rows

    def frame(self) -> pd.DataFrame:
        from service.analysis.tables import frame

        return frame(self.rows())


def _upper_when_none(runs: int) -> float:
    return wilson(0, runs)[1]


def design(ranges: list[Range], points: int, sampler: str, seed: int) -> list[list[float]]:
    """The points, each a value per range, in the order of the ranges."""
    import numpy as np
    from scipy.stats import qmc

    dimensions = len(ranges)
    lows = np.array([r.low for r in ranges])
    highs = np.array([r.high for r in ranges])
    if sampler == "grid":
        per_axis = round(points ** (1 / dimensions))
        if per_axis**dimensions != points or per_axis < 2:
            shown = ", ".join(str(k**dimensions) for k in range(2, 7))
            raise BadParameter(
                f"--points {points}: a grid of {dimensions} parameter(s) has k^{dimensions} points "
                f"(k values on each axis): {shown}, ..."
            )
        axes = [np.linspace(0.0, 1.0, per_axis)] * dimensions
        unit = np.array(np.meshgrid(*axes, indexing="ij")).reshape(dimensions, -1).T
    elif sampler == "saltelli":
        from SALib.sample import sobol as saltelli

        base = points // (dimensions + 2)
        if base * (dimensions + 2) != points or base < 2 or base & (base - 1):
            shown = ", ".join(str(2**k * (dimensions + 2)) for k in range(3, 9))
            raise BadParameter(
                f"--points {points}: Saltelli's scheme for {dimensions} parameter(s) takes "
                f"N x {dimensions + 2} points with N a power of two: {shown}, ..."
            )
        problem = _problem(ranges)
        sample = saltelli.sample(problem, base, calc_second_order=False, seed=seed)
        return [[float(v) for v in row] for row in sample]
    elif sampler == "sobol":
        unit = qmc.Sobol(d=dimensions, scramble=True, seed=seed).random(points)
    else:
        unit = qmc.LatinHypercube(d=dimensions, seed=seed).random(points)
    scaled = qmc.scale(unit, lows, highs)
    return [[float(v) for v in row] for row in scaled]


def _problem(ranges: list[Range]) -> dict[str, object]:
    """SALib's description of the sampled space."""
    return {
        "num_vars": len(ranges),
        "names": [r.parameter.column for r in ranges],
        "bounds": [[r.low, r.high] for r in ranges],
    }


def _rounded(parameter: Parameter, value: float) -> float:
    # What the plan will hold: durations in whole minutes, integers whole.
    if parameter.kind == "duration":
        return round(value * 60) / 60
    return float(round(value)) if parameter.kind == "integer" else value


def point_plans(
    plan: PlanDefinition, ranges: list[Range], points: int, sampler: str, seed: int
) -> list[tuple[dict[Parameter, float], PlanDefinition]]:
    """Each point's values and the plan that holds them (validated whole)."""
    planned = []
    for values in design(ranges, points, sampler, seed):
        chosen = {r.parameter: _rounded(r.parameter, v) for r, v in zip(ranges, values, strict=True)}
        planned.append((chosen, with_values(plan, chosen)))
    return planned


def _varied(values: dict[Parameter, float]) -> Row:
    return {p.column: round(v, 4) for p, v in values.items()}


def sweep_locally(
    plan: PlanDefinition,
    ranges: list[Range],
    points: int,
    runs: int,
    seed: int,
    sampler: str = "lhs",
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    record: bool = False,
) -> tuple[Sweep, list[Row]]:
    """Every point's ensemble in-process, over one pool of worker processes; with
    `record`, a row per member of every point (its point and values in the row)."""
    import os

    from service.analysis.explore import simulate_points

    workers = workers or os.cpu_count() or 1
    planned = point_plans(plan, ranges, points, sampler, seed)
    started = time.perf_counter()
    jobs = [(point_plan, {"point": i, **_varied(values)}) for i, (values, point_plan) in enumerate(planned)]
    outcomes = simulate_points(jobs, member_seeds(seed, runs), workers, on_progress, record)
    elapsed = time.perf_counter() - started
    result = Sweep(plan.id, plan.version, seed, runs, sampler, ranges, runtime="local", workers=workers)
    members: list[Row] = []
    for index, ((values, point_plan), (tally, rows)) in enumerate(zip(planned, outcomes, strict=True)):
        result.points.append(
            SweepPoint(
                index,
                values,
                table(point_plan, seed, tally, "local", workers, 0),
                probabilities(point_plan, values),
            )
        )
        members += rows
    result.elapsed_s = round(elapsed, 3)
    return result, members


async def sweep_on_temporal(
    client: Client,
    plan: PlanDefinition,
    ranges: list[Range],
    points: int,
    runs: int,
    seed: int,
    sampler: str,
    workers: int,
    batch: int = 500,
    on_progress: Callable[[int], None] | None = None,
    at_once: int = 8,
    task_queue: str = TASK_QUEUE,
    planned: list[tuple[dict[Parameter, float], PlanDefinition]] | None = None,
) -> Sweep:
    """Every point's ensemble as a durable Ensemble workflow (service.analysis.explore), a few at
    once, their batches on whatever workers poll: the table the local runtime gives."""
    import asyncio

    from service.analysis.explore import explore_on_temporal

    if planned is None:  # else the caller has drawn the design already (and checked it)
        planned = point_plans(plan, ranges, points, sampler, seed)
    started = time.perf_counter()
    gate = asyncio.Semaphore(at_once)
    done: dict[int, int] = {}

    async def one(index: int, point_plan: PlanDefinition) -> EnsembleTable:
        def progress(members: int) -> None:
            done[index] = members
            if on_progress:
                on_progress(sum(done.values()))

        async with gate:
            # Progress is asked of the workflows (queries) only for a caller that shows it.
            result = await explore_on_temporal(
                client,
                point_plan,
                runs,
                seed,
                workers,
                batch,
                task_queue,
                on_progress=progress if on_progress else None,
            )
        progress(runs)
        return result

    tables = await asyncio.gather(*(one(i, p) for i, (_, p) in enumerate(planned)))
    result = Sweep(plan.id, plan.version, seed, runs, sampler, ranges, runtime="temporal", workers=workers)
    for index, ((values, point_plan), point_table) in enumerate(zip(planned, tables, strict=True)):
        result.points.append(SweepPoint(index, values, point_table, probabilities(point_plan, values)))
    result.elapsed_s = round(time.perf_counter() - started, 3)
    return result


def sobol_indices(sweep: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """First-order and total Sobol' indices of an outcome's share, with 95% intervals
    (SALib), from a sweep table sampled with Saltelli's scheme."""
    import pandas as pd
    from SALib.analyze import sobol

    if "sampler" not in sweep or set(sweep["sampler"]) != {"saltelli"}:
        raise BadParameter("Sobol' indices need a sweep sampled for them with --sampler saltelli")
    column = f"share.{outcome}"
    if column not in sweep:
        known = ", ".join(c.removeprefix("share.") for c in sweep.columns if c.startswith("share."))
        raise BadParameter(f"no outcome {outcome!r} in the sweep (there: {known})")
    names = [c for c in sweep.columns if c not in _NOT_PARAMETERS and not c.startswith(_SHARES)]
    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[float(sweep[n].min()), float(sweep[n].max())] for n in names],
    }
    ordered = sweep.sort_values("point")
    found = sobol.analyze(
        problem,
        ordered[column].to_numpy(dtype=float),
        calc_second_order=False,
        seed=int(sweep["seed"].iloc[0]),
    )
    return pd.DataFrame(
        {
            "parameter": names,
            "S1": found["S1"],
            "S1_conf": found["S1_conf"],
            "ST": found["ST"],
            "ST_conf": found["ST_conf"],
        }
    )


_NOT_PARAMETERS = {"point", "runs", "sampler", "seed", "variant", "refused", "refused.members"}
_SHARES = ("share.", "low.", "high.")
