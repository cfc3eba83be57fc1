"""The excomm worker: registers the timeline workflows and activities on a task queue.

Run one per machine against a configured cluster (``excomm worker`` or
``python worker.py``); Temporal spreads timelines over every worker polling the queue.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.ensemble import simulate_batch
from activities.event_store import EventStore
from activities.recording import EventRecorder
from service.settings import TASK_QUEUE, event_store_path
from workflows.ensemble import EnsembleWorkflow
from workflows.exchange import AlliedConsultationWorkflow, NegotiationTrackWorkflow, PlanPhaseWorkflow
from workflows.timeline import TimelineWorkflow

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


def build_worker(
    client: Client,
    store: EventStore | None = None,
    task_queue: str = TASK_QUEUE,
    executor: concurrent.futures.Executor | None = None,
) -> Worker:
    recorder = EventRecorder(store or EventStore(event_store_path()))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[recorder.record_events, recorder.mark_timeline, recorder.deliver_message, simulate_batch],
        activity_executor=executor or concurrent.futures.ThreadPoolExecutor(max_workers=4),
        workflow_runner=WORKFLOW_RUNNER,
        workflow_failure_exception_types=DOMAIN_FAILURES,
    )


async def run_worker() -> None:
    from service.logs import configure_logging
    from service.session import connect_running

    configure_logging()
    client = await connect_running()
    await build_worker(client).run()


if __name__ == "__main__":
    asyncio.run(run_worker())
