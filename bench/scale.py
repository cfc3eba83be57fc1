"""What scaling out buys: one worker process against two, on one server and the shared
PostgreSQL event store, in one run on this machine.

    python -m bench.scale [--timelines 100] [--members 20000]

Starts a throwaway PostgreSQL server (the distribution's package) and the embedded
Temporal dev server (file-backed, WAL), then prints:
- the empty-workflow floor: what the server alone allows, one workflow after another;
- durable timelines per second: instant runs of `memo` (a timeline and its 15 child
  workflows, its events recorded in PostgreSQL), with one and with two worker processes;
- ensemble members per second: `memo-uncertain` in batches of 500, with one and two;
- what a worker process costs from its start until it polls.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.client import Client

from activities.stores import open_store
from bench.drills.common import worker_process
from bench.ensemble import empty_workflow_rate
from models.pace import INSTANT
from service.analysis.explore import explore_on_temporal
from service.runs.lifecycle import start_timeline
from service.runtime.embedded_server import embedded_server
from service.runtime.workers import polling_workers
from tests.postgres import fresh_database, postgres_server
from timelines.loader import load_plan, load_timeline

AT_ONCE = 50  # timelines in flight at a time


async def _until_polling(client: Client, queue: str, processes: list[subprocess.Popen[bytes]]) -> float:
    """Seconds until every process polls the queue for workflows and for activities."""
    started = time.perf_counter()
    pids = {str(p.pid) for p in processes}
    while True:
        workflows = {i.split("@")[0] for i in await polling_workers(client, queue)}
        activities = {i.split("@")[0] for i in await polling_workers(client, queue, activities=True)}
        if pids <= workflows & activities:
            return time.perf_counter() - started
        await asyncio.sleep(0.02)  # polling a server for a state change


async def _timelines_rate(client: Client, queue: str, count: int) -> float:
    memo = load_timeline("memo")
    started = time.perf_counter()
    for first in range(0, count, AT_ONCE):
        handles = [
            await start_timeline(client, memo, INSTANT, f"scale-{uuid.uuid4().hex[:10]}", task_queue=queue)
            for _ in range(min(AT_ONCE, count - first))
        ]
        await asyncio.gather(*(h.result() for h in handles))
    return count / (time.perf_counter() - started)


async def main(timelines: int, members: int) -> None:
    with tempfile.TemporaryDirectory(prefix="excomm-scale-") as home, postgres_server() as server_url:
        with fresh_database(server_url) as store:
            open_store(store).migrate()
            os.environ["EXCOMM_HOME"] = home
            os.environ["EXCOMM_EVENT_STORE"] = store
            log = Path(home) / "workers.log"
            plan = load_plan("memo-uncertain")
            async with embedded_server() as (client, server):
                floor = await empty_workflow_rate(client, 300)
                print(f"empty-workflow floor (server alone):        {floor:8.1f} workflows/s")
                rates: dict[int, tuple[float, float]] = {}
                startups: list[float] = []
                for count in (1, 2):
                    queue = f"scale-{count}-{secrets.token_hex(3)}"
                    processes = [worker_process(server.address, queue, log, store) for _ in range(count)]
                    try:
                        startups.append(await _until_polling(client, queue, processes))
                        per_second = await _timelines_rate(client, queue, timelines)
                        ensemble = await explore_on_temporal(
                            client, plan, members, 1, count, batch=500, task_queue=queue
                        )
                    finally:
                        for process in processes:
                            process.terminate()
                        for process in processes:
                            process.wait(timeout=30)
                    rates[count] = (per_second, members / ensemble.elapsed_s)
                    print(
                        f"{count} worker process{'es' if count > 1 else '  '}: "
                        f"{per_second:6.2f} memo timelines/s ({per_second * 16:6.1f} workflows/s), "
                        f"{members / ensemble.elapsed_s:7.0f} ensemble members/s"
                    )
                print(
                    f"two workers / one: timelines x{rates[2][0] / rates[1][0]:.2f}, "
                    f"ensemble members x{rates[2][1] / rates[1][1]:.2f}"
                )
                print(
                    f"one worker's timelines against the floor: {rates[1][0] * 16 / floor:.2f} "
                    "of the empty-workflow rate, counting 16 workflows a timeline"
                )
                print(f"a worker process, start to polling: {statistics.median(startups):.2f} s (median)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--timelines", type=int, default=100, help="memo timelines per worker count")
    parser.add_argument("--members", type=int, default=20000, help="ensemble members per worker count")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.timelines, arguments.members))
