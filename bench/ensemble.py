"""Ensemble throughput, measured in one run on this machine, and what Temporal costs.

    python bench/ensemble.py [--runs 10000]

Prints members per second for memo-uncertain on the local runtime with one and with two
processes, on Temporal with one and with two worker processes (embedded dev server,
batches of 500), the ratio of Temporal to local at equal processes (target: at least 0.8),
and the throughput of an empty workflow on the same server, the floor of what Temporal costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
import uuid

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from service.analysis.explore import explore_locally, explore_on_temporal
from service.runtime.embedded_server import embedded_server
from service.runtime.workers import polling_workers, worker_processes
from timelines.loader import load_plan


@workflow.defn(name="Empty")
class EmptyWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


async def empty_workflow_rate(client: Client, count: int) -> float:
    queue = f"bench-empty-{uuid.uuid4().hex[:6]}"
    # Unsandboxed: this module imports the whole service layer, which a sandbox would reload.
    async with Worker(
        client, task_queue=queue, workflows=[EmptyWorkflow], workflow_runner=UnsandboxedWorkflowRunner()
    ):
        started = time.perf_counter()
        handles = [
            await client.start_workflow(EmptyWorkflow.run, id=f"empty-{uuid.uuid4().hex}", task_queue=queue)
            for _ in range(count)
        ]
        await asyncio.gather(*(h.result() for h in handles))
        return count / (time.perf_counter() - started)


async def _polling(client: Client, processes: list[subprocess.Popen[bytes]]) -> None:
    """Wait until every worker process polls excomm's activity queue (its identity is
    pid@host), so the ensemble's time counts simulations, not Python starting up."""
    pids = {str(p.pid) for p in processes}
    while not pids <= {identity.split("@")[0] for identity in await polling_workers(client, activities=True)}:
        await asyncio.sleep(0.05)  # polling a server for a state change, not synchronising a test


async def main(runs: int) -> None:
    plan = load_plan("memo-uncertain")
    local_rates, local = {}, None
    for count in (1, 2):
        local = explore_locally(plan, runs, seed=1, workers=count)
        local_rates[count] = runs / local.elapsed_s
        print(
            f"local runtime, {count} process(es):          {local_rates[count]:8.0f} members/s  "
            f"({local.elapsed_s:.2f} s)"
        )
    assert local is not None
    with tempfile.TemporaryDirectory() as home:
        os.environ["EXCOMM_HOME"] = home
        async with embedded_server() as (client, _):
            rates = {}
            for workers in (1, 2):
                async with worker_processes(client, workers) as processes:
                    started = time.perf_counter()
                    await _polling(client, processes)
                    ready = time.perf_counter() - started
                    result = await explore_on_temporal(client, plan, runs, 1, workers, batch=500)
                rates[workers] = runs / result.elapsed_s
                same = result.model_dump(exclude={"runtime", "workers", "elapsed_s"}) == local.model_dump(
                    exclude={"runtime", "workers", "elapsed_s"}
                )
                print(
                    f"temporal runtime, {workers} worker process(es): {rates[workers]:8.0f} members/s  "
                    f"({result.elapsed_s:.2f} s once the workers poll, after {ready:.2f} s to start them; "
                    f"table identical: {same})"
                )
            empty = await empty_workflow_rate(client, 200)
    print(f"empty workflow on the same server:          {empty:8.0f} workflows/s")
    ratios = {n: rates[n] / local_rates[n] for n in (1, 2)}
    print(
        f"temporal / local at equal processes: x1 {ratios[1]:.2f}, x2 {ratios[2]:.2f} "
        f"(target at least 0.8: {'met' if min(ratios.values()) >= 0.8 else 'MISSED'})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10000)
    asyncio.run(main(parser.parse_args().runs))
