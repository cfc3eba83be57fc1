"""Ensembles on Temporal: the same table as in-process, even with a worker killed mid-batch."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.event_store import EventStore
from models.ensemble import EnsembleTable
from models.plan import PlanDefinition
from service.analysis.explore import explore_locally, explore_on_temporal
from service.runtime.workers import build_worker
from tests.conftest import eventually
from timelines.loader import load_plan

ROOT = Path(__file__).resolve().parent.parent
RUN_ONLY = {"runtime", "workers", "elapsed_s"}


def _comparable(table: EnsembleTable) -> dict[str, object]:
    return {k: v for k, v in table.model_dump().items() if k not in RUN_ONLY}


async def test_a_temporal_ensemble_gives_the_local_table(
    dev_server: WorkflowEnvironment, store: EventStore, task_queue: str
) -> None:
    plan = load_plan("memo-uncertain")
    async with build_worker(dev_server.client, store, task_queue=task_queue):
        durable = await explore_on_temporal(
            dev_server.client, plan, 400, 5, 1, batch=90, task_queue=task_queue
        )
    assert durable.runtime == "temporal"
    assert _comparable(durable) == _comparable(explore_locally(plan, 400, 5, workers=1))


def _worker(address: str, queue: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TEMPORAL_ADDRESS": address, "EXCOMM_TASK_QUEUE": queue}
    return subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env)


async def _heartbeating(client: Client) -> bool:
    async for listed in client.list_workflows("WorkflowType = 'Ensemble' AND ExecutionStatus = 'Running'"):
        description = await client.get_workflow_handle(listed.id).describe()
        if any(a.heartbeat_details.payloads for a in description.raw_description.pending_activities):
            return True
    return False


async def test_a_worker_killed_during_an_ensemble_costs_nothing_in_the_table(
    dev_server: WorkflowEnvironment, task_queue: str
) -> None:
    plan: PlanDefinition = load_plan("memo-uncertain")
    address = dev_server.client.service_client.config.target_host
    first = _worker(address, task_queue)
    ensemble = asyncio.ensure_future(
        explore_on_temporal(
            dev_server.client, plan, 1500, 11, 1, batch=750, task_queue=task_queue, heartbeat_timeout_s=2
        )
    )
    await eventually(lambda: _heartbeating(dev_server.client), timeout=60, what="a batch to heartbeat")
    first.send_signal(signal.SIGKILL)
    first.wait()
    second = _worker(address, task_queue)
    try:
        durable = await asyncio.wait_for(ensemble, timeout=120)
    finally:
        second.terminate()
        second.wait()
    assert _comparable(durable) == _comparable(explore_locally(plan, 1500, 11, workers=1))


async def test_a_worker_takes_no_more_batches_than_it_can_start_so_none_times_out_waiting(
    dev_server: WorkflowEnvironment, store: EventStore, task_queue: str
) -> None:
    # Far more batches than the worker has threads, each needing a heartbeat within 2 s:
    # a batch taken but left waiting for a thread would time out before it started.
    plan = load_plan("memo-uncertain")
    async with build_worker(dev_server.client, store, task_queue=task_queue):
        durable = await explore_on_temporal(
            dev_server.client, plan, 2400, 3, 1, batch=100, task_queue=task_queue, heartbeat_timeout_s=2
        )
    assert _comparable(durable) == _comparable(explore_locally(plan, 2400, 3, workers=1))
    async for listed in dev_server.client.list_workflows(
        f"WorkflowType = 'Ensemble' AND TaskQueue = '{task_queue}'"
    ):
        # A retried activity's history keeps only its last attempt, and says which it was.
        async for event in dev_server.client.get_workflow_handle(listed.id).fetch_history_events():
            if event.HasField("activity_task_started_event_attributes"):
                assert event.activity_task_started_event_attributes.attempt == 1
