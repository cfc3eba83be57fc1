"""The ensemble workflow: fans batches of in-process simulations out to activities.

Each batch is an activity that heartbeats its progress and resumes from it when retried,
so a worker killed mid-batch costs only the members since its last heartbeat; Temporal
spreads the batches over every worker polling the queue. The tallies add up in any order,
so the table is the one the in-process runtime gives for the same seed.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.ensemble import Tally
    from models.run import EnsembleBatch, EnsembleJob


@workflow.defn(name="Ensemble")
class EnsembleWorkflow:
    def __init__(self) -> None:
        self._done = 0

    @workflow.run
    async def run(self, job: EnsembleJob) -> Tally:
        async def batch(start: int) -> Tally:
            count = min(job.batch, job.runs - start)
            tally: Tally = await workflow.execute_activity(
                "simulate_batch",
                EnsembleBatch(plan=job.plan, seed=job.seed, start=start, count=count),
                result_type=Tally,
                start_to_close_timeout=timedelta(minutes=30),
                heartbeat_timeout=timedelta(seconds=job.heartbeat_timeout_s),
                retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=5)),
                summary=f"members {start + 1}-{start + count}",
            )
            self._done += count
            return tally

        tallies = await asyncio.gather(*(batch(start) for start in range(0, job.runs, job.batch)))
        total = Tally()
        for tally in tallies:
            total += tally
        return total

    @workflow.query
    def done(self) -> int:
        return self._done
