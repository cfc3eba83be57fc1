"""Workers: how one is built (the workflows and activities it registers), the worker
processes a command starts so CPU-bound activities use every core, and the workers a
server knows to be polling excomm's queue.

Run one per machine against a configured cluster (``excomm worker`` or
``python worker.py``); Temporal spreads timelines over every worker polling the queue.
"""

from __future__ import annotations

import concurrent.futures
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
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.ensemble import simulate_batch
from activities.event_store import EventStore
from activities.recording import EventRecorder
from activities.stores import open_store
from service.runtime.settings import TASK_QUEUE, event_store_location
from workflows.ensemble import EnsembleWorkflow
from workflows.exchange import AlliedConsultationWorkflow, NegotiationTrackWorkflow, PlanPhaseWorkflow
from workflows.timeline import TimelineWorkflow

WORKER = Path(__file__).resolve().parents[2] / "worker.py"

WORKFLOWS = [
    TimelineWorkflow,
    AlliedConsultationWorkflow,
    NegotiationTrackWorkflow,
    PlanPhaseWorkflow,
    EnsembleWorkflow,
]

# Our pure domain modules and pydantic are deterministic and side-effect free; passing
# them through the sandbox avoids re-importing them for every workflow run.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "models", "pydantic", "pydantic_core", "annotated_types"
    )
)


# Errors of the domain (a value no model accepts, arithmetic off the calendar, a missing
# key): input a timeline cannot run fails that timeline, visibly, instead of failing its
# workflow task for ever. Nondeterminism is not among them: that is a deploy mistake, and
# its task must wait, retrying, for the code to be put right.
DOMAIN_FAILURES: tuple[type[BaseException], ...] = (ValueError, ArithmeticError, LookupError)


# Threads that run activities, and so the activities a worker takes at once. They must be
# equal: an activity taken beyond the threads waits in the executor's queue while its
# timeouts run, times out unstarted (a batch's heartbeat, a recording's start-to-close),
# and is taken again by the same crowded worker; after a server restart had handed every
# pending batch out at once, an ensemble did this for ever. Left on the server, it waits
# for a thread with no clock running.
ACTIVITY_THREADS = 4


def build_worker(client: Client, store: EventStore | None = None, task_queue: str = TASK_QUEUE) -> Worker:
    recorder = EventRecorder(store or open_store(event_store_location()))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[recorder.record_events, recorder.mark_timeline, recorder.deliver_message, simulate_batch],
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=ACTIVITY_THREADS),
        max_concurrent_activities=ACTIVITY_THREADS,
        workflow_runner=WORKFLOW_RUNNER,
        workflow_failure_exception_types=DOMAIN_FAILURES,
    )


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
