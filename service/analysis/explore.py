"""Running an ensemble: in-process over worker processes, or durably on Temporal."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from models.ensemble import EnsembleTable, Tally, member_seeds, run_batch, run_recorded, table
from models.members import Row
from models.plan import PlanDefinition
from models.run import EnsembleJob
from service.runtime.settings import TASK_QUEUE

if TYPE_CHECKING:
    from temporalio.client import Client

# Small enough that the last batches finish together on every worker process, large
# enough that handing one over (a few milliseconds) is lost in its simulations.
BATCH = 100


_PLANS: list[str] = []  # in a worker process: the points' plans, as JSON, handed over once


def _receive(plans: list[str]) -> None:
    # A worker process's start: the plans of every point come once, not with each batch.
    _PLANS[:] = plans
    _plan.cache_clear()  # whatever a forked process inherited is another pool's


@lru_cache(maxsize=64)  # a sweep's points, each a plan, read once per process
def _plan(point: int) -> PlanDefinition:
    return PlanDefinition.model_validate_json(_PLANS[point])


def _batch(point: int, seeds: list[int], first: int, record: bool, varied: Row | None) -> Outcome:
    # Runs in a worker process: the tally (and the members' rows) come back.
    return _simulate(_plan(point), seeds, first, record, varied)


Outcome = tuple[Tally, list[Row]]


def _simulate(
    plan: PlanDefinition, seeds: list[int], first: int, record: bool, varied: Row | None
) -> Outcome:
    if record:
        return run_recorded(plan, seeds, first, varied)
    return run_batch(plan, seeds), []


def simulate_members(
    plan: PlanDefinition,
    seeds: list[int],
    workers: int,
    on_progress: Callable[[int], None] | None = None,
    record: bool = False,
) -> Outcome:
    """Members with these seeds, simulated in-process over `workers` processes: their
    tally, and with `record` a row per member (models.members), in member order."""
    return simulate_points([(plan, None)], seeds, workers, on_progress, record)[0]


def simulate_points(
    points: Sequence[tuple[PlanDefinition, Row | None]],
    seeds: list[int],
    workers: int,
    on_progress: Callable[[int], None] | None = None,
    record: bool = False,
) -> list[Outcome]:
    """The members of these seeds under each plan (a sweep's points, each with the values
    its rows record), over one pool of `workers` processes: a tally, and rows, per point."""
    batches = [
        (point, first, seeds[first : first + BATCH])
        for point in range(len(points))
        for first in range(0, len(seeds), BATCH)
    ]
    totals, rows = [Tally() for _ in points], [list[Row]() for _ in points]
    done = 0

    def take(point: int, outcome: Outcome) -> None:
        nonlocal done
        totals[point] += outcome[0]
        rows[point] += outcome[1]
        done += outcome[0].runs
        if on_progress:
            on_progress(done)

    if workers == 1 or len(batches) == 1:
        for point, first, batch in batches:
            plan, varied = points[point]
            take(point, _simulate(plan, batch, first, record, varied))
    else:
        plans = [plan.model_dump_json() for plan, _ in points]
        with ProcessPoolExecutor(max_workers=workers, initializer=_receive, initargs=(plans,)) as pool:
            futures = {
                pool.submit(_batch, point, batch, first, record, points[point][1]): point
                for point, first, batch in batches
            }
            for future in as_completed(futures):
                take(futures[future], future.result())
        for point_rows in rows:
            point_rows.sort(key=lambda row: cast(int, row["member"]))
    return list(zip(totals, rows, strict=True))


def explore_locally(
    plan: PlanDefinition,
    runs: int,
    seed: int,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> EnsembleTable:
    """N members seeded from `seed`, simulated in-process; the table of what came of them."""
    return explore_recorded(plan, runs, seed, workers, on_progress, record=False)[0]


def explore_recorded(
    plan: PlanDefinition,
    runs: int,
    seed: int,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    record: bool = True,
) -> tuple[EnsembleTable, list[Row]]:
    """`explore_locally`, and a row per member (every member on the record)."""
    workers = workers or os.cpu_count() or 1
    started = time.perf_counter()
    total, rows = simulate_members(plan, member_seeds(seed, runs), workers, on_progress, record)
    return table(plan, seed, total, "local", workers, time.perf_counter() - started), rows


async def explore_on_temporal(
    client: Client,
    plan: PlanDefinition,
    runs: int,
    seed: int,
    workers: int,
    batch: int = 500,
    task_queue: str = TASK_QUEUE,
    on_progress: Callable[[int], None] | None = None,
    heartbeat_timeout_s: float = 20,
) -> EnsembleTable:
    """The same ensemble as a durable workflow whose batches run on whatever workers poll."""
    import asyncio

    from temporalio.service import RPCError

    from service.runs.lifecycle import TRANSIENT
    from workflows.ensemble import EnsembleWorkflow  # the SDK only when needed (see cli)

    started = time.perf_counter()
    handle = await client.start_workflow(
        EnsembleWorkflow.run,
        EnsembleJob(plan=plan, seed=seed, runs=runs, batch=batch, heartbeat_timeout_s=heartbeat_timeout_s),
        id=f"ensemble-{plan.id}-{secrets.token_hex(3)}",
        task_queue=task_queue,
        static_summary=f"{runs} members of {plan.id} v{plan.version}, seed {seed}",
    )
    result = asyncio.ensure_future(handle.result())
    try:
        while not result.done():
            await asyncio.wait({result}, timeout=0.25)
            if on_progress is not None and not result.done():
                try:
                    on_progress(await handle.query(EnsembleWorkflow.done))
                except RPCError as exc:
                    # The worker that last ran it has gone: progress waits, the ensemble does not.
                    if exc.status not in TRANSIENT:
                        raise
        total = result.result()
    finally:
        result.cancel()
    return table(plan, seed, total, "temporal", workers, time.perf_counter() - started)
