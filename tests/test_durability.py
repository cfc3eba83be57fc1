"""Nothing is lost: a killed worker, a restarted server, and the official `temporal` CLI."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.event_store import EventStore
from activities.stores import open_store
from models.pace import parse_pace
from models.run import TimelineResult
from models.simulation import simulate
from models.timeline import TimelineDefinition
from service.runs.lifecycle import start_timeline
from service.runtime.embedded_server import embedded_server, installed_binary
from service.runtime.workers import build_worker
from tests.conftest import eventually
from workflows.timeline import TimelineWorkflow

PACE = parse_pace("1d=2s")  # the three-day fixture takes about five seconds of timers
ROOT = Path(__file__).resolve().parent.parent


def _worker_process(address: str, store: Path, task_queue: str) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ, TEMPORAL_ADDRESS=address, EXCOMM_EVENT_STORE=str(store), EXCOMM_TASK_QUEUE=task_queue
    )
    return subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env, cwd=ROOT)


def _address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


async def _has_events(store: EventStore, timeline_id: str, at_least: int) -> bool:
    return len(store.events(timeline_id)) >= at_least


async def test_a_worker_killed_mid_timeline_is_replaced_and_nothing_is_lost_or_duplicated(
    dev_server: WorkflowEnvironment, three_days: TimelineDefinition, tmp_path: Path, task_queue: str
) -> None:
    reference_store = open_store(tmp_path / "reference.sqlite3")
    async with build_worker(dev_server.client, reference_store, task_queue=task_queue):
        reference = await start_timeline(
            dev_server.client, three_days, PACE, f"ref-{uuid.uuid4().hex[:6]}", task_queue=task_queue
        )
        await reference.result()

    store_path = tmp_path / "killed.sqlite3"
    store = open_store(store_path)
    killed_queue = task_queue + "-killed"
    first = _worker_process(_address(dev_server), store_path, killed_queue)
    handle = await start_timeline(
        dev_server.client, three_days, PACE, f"killed-{uuid.uuid4().hex[:6]}", task_queue=killed_queue
    )
    await eventually(lambda: _has_events(store, handle.id, 2), what="the first events to be recorded")
    assert len(store.events(handle.id)) < len(simulate(three_days))  # killed mid-timeline
    first.send_signal(signal.SIGKILL)
    first.wait()
    second = _worker_process(_address(dev_server), store_path, killed_queue)
    try:
        result = await handle.result()
    finally:
        second.terminate()
        second.wait()

    assert result.events == len(simulate(three_days))
    assert store.events(handle.id) == reference_store.events(reference.id) == list(simulate(three_days))
    assert [e.seq for e in store.events(handle.id)] == list(range(1, len(simulate(three_days)) + 1))


async def test_a_restarted_server_continues_a_paced_timeline(
    three_days: TimelineDefinition, store: EventStore, task_queue: str
) -> None:
    timeline_id = f"restart-{uuid.uuid4().hex[:6]}"
    async with embedded_server() as (client, _), build_worker(client, store, task_queue=task_queue):
        await start_timeline(client, three_days, PACE, timeline_id, task_queue=task_queue)
        await eventually(lambda: _has_events(store, timeline_id, 2), what="the first events")
    stopped_at = len(store.events(timeline_id))
    assert stopped_at < len(simulate(three_days))

    async with embedded_server() as (client, _):  # same data directory, new process
        async with build_worker(client, store, task_queue=task_queue):
            handle = client.get_workflow_handle(timeline_id, result_type=TimelineResult)
            result = await handle.result()
    assert result.events == len(simulate(three_days))
    assert store.events(timeline_id) == list(simulate(three_days))


async def _temporal(address: str, *args: str) -> str:
    # Asynchronous, so the in-process worker can answer the CLI's query meanwhile.
    process = await asyncio.create_subprocess_exec(
        installed_binary("temporal"),
        *args,
        "--address",
        address,
        "--output",
        "json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


async def test_the_temporal_cli_finds_queries_and_pauses_a_running_timeline(
    dev_server: WorkflowEnvironment, three_days: TimelineDefinition, store: EventStore, task_queue: str
) -> None:
    address = _address(dev_server)
    timeline_id = f"cli-{uuid.uuid4().hex[:6]}"
    async with build_worker(dev_server.client, store, task_queue=task_queue):
        handle = await start_timeline(
            dev_server.client, three_days, parse_pace("1d=1h"), timeline_id, task_queue=task_queue
        )
        answer = json.loads(
            await _temporal(address, "workflow", "query", "--workflow-id", timeline_id, "--name", "state")
        )
        world = answer["queryResult"][0]
        assert world["defcon"] == {"SAC": 5, "WORLDWIDE": 5}
        assert world["quarantine"] == "none"

        await _temporal(address, "workflow", "signal", "--workflow-id", timeline_id, "--name", "pause")

        async def paused() -> bool:
            return (await handle.query(TimelineWorkflow.progress)).paused

        await eventually(paused, what="the pause sent by the temporal CLI")

        async def listed() -> bool:
            found = await _temporal(address, "workflow", "list", "--query", "ExcommTimeline = 'three-days'")
            return timeline_id in found

        await eventually(listed, what="the timeline in the visibility store")
        await handle.terminate("test over")
