"""One interpreter, two runtimes: Temporal and the in-process engine give the same event log.

Every shipped timeline and plan, memo-uncertain over many seeds (EXCOMM_DIFFERENTIAL_SEEDS:
25 in CI, more in a long run), and branches of
the record and of the memo (with a rejection, and with drawn behaviour) run durably on the
dev server and in-process; the logs must be identical, field for field, as JSON.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.event_store import EventStore
from models.events import event_to_json
from models.pace import INSTANT
from models.simulation import simulate
from models.timeline import TimelineDefinition
from service.runs.branching import fork
from service.runs.lifecycle import start_timeline
from service.runtime.workers import build_worker
from timelines.loader import catalogue_names, load_behaviour, load_timeline

# The dev server is what bounds this test (about half a second a timeline on two cores).
SEEDS = range(int(os.environ.get("EXCOMM_DIFFERENTIAL_SEEDS", "25")))
AT_ONCE = 25
BEFORE_RFK = datetime.fromisoformat("1962-10-27T19:44-04:00")
REJECT: dict[str, object] = {"kind": "soviet_reply", "track": "cuba", "answer": "reject"}


def branch_fixtures() -> list[TimelineDefinition]:
    """Branches that suppress history and draw the sides' moves from a behaviour."""
    branches = []
    behaviour = load_behaviour("memo-uncertain")
    for name in ("october-1962", "memo-1962"):
        parent = load_timeline(name)
        events = list(simulate(parent))
        branches.append(fork(name, parent, events, at=BEFORE_RFK, after_seq=None, moves=[REJECT]))
        branches += [
            fork(
                name, parent, events, at=BEFORE_RFK, after_seq=None, moves=[], behaviour=behaviour, seed=seed
            )
            for seed in range(5)
        ]
    return branches


async def _durable_logs(
    env: WorkflowEnvironment, store: EventStore, queue: str, definitions: list[TimelineDefinition]
) -> list[list[str]]:
    async def one(definition: TimelineDefinition) -> list[str]:
        handle = await start_timeline(
            env.client, definition, INSTANT, f"diff-{uuid.uuid4().hex[:10]}", task_queue=queue
        )
        await handle.result()
        return [event_to_json(e) for e in store.events(handle.id)]

    logs: list[list[str]] = []
    for start in range(0, len(definitions), AT_ONCE):
        logs += await asyncio.gather(*(one(d) for d in definitions[start : start + AT_ONCE]))
    return logs


@pytest.mark.timeout(120 + 2 * len(SEEDS))
async def test_every_shipped_timeline_and_many_seeds_agree_on_both_runtimes(
    dev_server: WorkflowEnvironment, store: EventStore, task_queue: str
) -> None:
    definitions = [load_timeline(name) for name in catalogue_names()]
    definitions += [load_timeline("memo-uncertain", seed) for seed in SEEDS]
    definitions += branch_fixtures()
    async with build_worker(dev_server.client, store, task_queue=task_queue):
        durable = await _durable_logs(dev_server, store, task_queue, definitions)
    for definition, log in zip(definitions, durable, strict=True):
        assert log == [event_to_json(e) for e in simulate(definition)], (definition.id, definition.seed)
    assert len({tuple(log) for log in durable}) > len(catalogue_names())  # the seeds did vary the runs
