"""Running an ensemble in-process: batches of members spread over worker processes."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

from models.ensemble import EnsembleTable, Tally, member_seeds, run_batch, table
from models.plan import PlanDefinition

BATCH = 250


def _batch(plan_json: str, seeds: list[int]) -> Tally:
    # Runs in a worker process: the plan travels as JSON, the tally comes back.
    return run_batch(PlanDefinition.model_validate_json(plan_json), seeds)


def explore_locally(
    plan: PlanDefinition,
    runs: int,
    seed: int,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> EnsembleTable:
    """N members seeded from `seed`, simulated in-process; the table of what came of them."""
    workers = workers or os.cpu_count() or 1
    seeds = member_seeds(seed, runs)
    batches = [seeds[i : i + BATCH] for i in range(0, runs, BATCH)]
    started = time.perf_counter()
    total = Tally()
    if workers == 1:
        for batch in batches:
            total += run_batch(plan, batch)
            if on_progress:
                on_progress(total.runs)
    else:
        plan_json = plan.model_dump_json()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_batch, plan_json, batch) for batch in batches]
            for future in as_completed(futures):
                total += future.result()
                if on_progress:
                    on_progress(total.runs)
    return table(plan, seed, total, "local", workers, time.perf_counter() - started)
