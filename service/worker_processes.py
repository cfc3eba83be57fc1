"""Workers: the processes a command starts so CPU-bound activities use every core, and
the workers a server knows to be polling excomm's queue."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from service.settings import TASK_QUEUE

WORKER = Path(__file__).resolve().parent.parent / "worker.py"


@contextlib.asynccontextmanager
async def worker_processes(client: Client, count: int) -> AsyncIterator[list[subprocess.Popen[bytes]]]:
    """Start `count` workers polling excomm's queue on the client's server; stop them after."""
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": client.namespace,
    }
    processes = [
        subprocess.Popen(
            [sys.executable, str(WORKER)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(count)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


# A live worker long-polls at least once a minute; the server remembers pollers longer.
POLLER_FRESHNESS = timedelta(seconds=70)


async def polling_workers(client: Client, task_queue: str = TASK_QUEUE, activities: bool = False) -> set[str]:
    """Identities (pid@host) of the workers that polled the queue within the last minute or so."""
    described = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
            if activities
            else TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    since = datetime.now(UTC) - POLLER_FRESHNESS
    return {
        poller.identity
        for poller in described.pollers
        if not poller.HasField("last_access_time") or poller.last_access_time.ToDatetime(UTC) >= since
    }
