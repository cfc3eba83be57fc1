"""What the drills share: the workload they run, an uninterrupted reference for each of
its timelines and ensembles, and the check that nothing was lost, doubled or changed.

The reference for a timeline is its log on the in-process runtime, which the
differential test holds byte-identical to an uninterrupted run on Temporal; for an
ensemble, the in-process table for the same seed.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError

from activities.event_store import EventStore
from models.ensemble import EnsembleTable, Tally, table
from models.events import DomainEvent
from models.pace import Pace
from models.plan import PlanDefinition
from models.run import EnsembleJob
from models.simulation import simulate
from models.timeline import TimelineDefinition
from service.analysis.explore import explore_locally
from service.runs.lifecycle import start_timeline
from service.runtime.connection import ConnectionFailed
from timelines.loader import load_plan, load_timeline
from workflows.ensemble import EnsembleWorkflow

ROOT = Path(__file__).resolve().parents[2]
WORKER = ROOT / "worker.py"
RUN_ONLY = {"runtime", "workers", "elapsed_s"}

# Five timelines of different shapes: the record, the memo meeting the record, the memo
# alone (child workflows per ally and track), a variant, and one that ends in war. The
# record has 140 instants, and a paced timeline waits about a second at each at least.
PACED = ("october-1962", "memo-1962", "memo", "hotline-1962", "u2-sam-strike")
# The short drills of CI: five timelines of a dozen instants or fewer, a few seconds each.
SHORT = ("memo", "hotline-1962", "u2-sam-strike", "jupiter-holdout", "soviets-accept-26-oct")
ENSEMBLE_PLAN = "memo-uncertain"


@dataclass(frozen=True)
class PacedTimeline:
    id: str
    definition: TimelineDefinition
    pace: Pace


@dataclass(frozen=True)
class Ensemble:
    id: str
    plan: PlanDefinition
    runs: int
    seed: int


@dataclass(frozen=True)
class Workload:
    timelines: tuple[PacedTimeline, ...]
    ensembles: tuple[Ensemble, ...]


def pace_for(definition: TimelineDefinition, seconds: float) -> Pace:
    """The pace at which a timeline's whole span lasts about `seconds` (the dev server's
    timers fire no finer than about a second, so a timeline of many instants takes longer)."""
    events = reference_log(definition.id)
    span = (events[-1].at - definition.starts_at).total_seconds()
    return Pace(mode="paced", ratio=max(span, 1.0) / seconds)


def workload(
    label: str, seconds: float, members: int, names: tuple[str, ...] = PACED, ensembles: int = 2
) -> Workload:
    paced = []
    for name in names:
        definition = load_timeline(name)
        paced.append(PacedTimeline(f"{label}-{name}", definition, pace_for(definition, seconds)))
    plan = load_plan(ENSEMBLE_PLAN)
    return Workload(
        timelines=tuple(paced),
        ensembles=tuple(
            Ensemble(f"{label}-ensemble-{n}", plan, members, seed=n + 1) for n in range(ensembles)
        ),
    )


async def start(client: Client, work: Workload, task_queue: str, batch: int) -> None:
    for timeline in work.timelines:
        await start_timeline(client, timeline.definition, timeline.pace, timeline.id, task_queue=task_queue)
    for ensemble in work.ensembles:
        job = EnsembleJob(
            plan=ensemble.plan, seed=ensemble.seed, runs=ensemble.runs, batch=batch, heartbeat_timeout_s=5
        )
        await client.start_workflow(EnsembleWorkflow.run, job, id=ensemble.id, task_queue=task_queue)


async def outcomes(connect: Callable[[], Awaitable[Client]], work: Workload) -> dict[str, Tally]:
    """Wait for every timeline and ensemble of the workload to finish, riding out a server
    that is away (it is being restarted); the ensembles' tallies by id."""
    tallies: dict[str, Tally] = {}
    pending = [t.id for t in work.timelines] + [e.id for e in work.ensembles]
    ensembles = {e.id for e in work.ensembles}
    while pending:
        try:
            client = await connect()
            for workflow_id in list(pending):
                if workflow_id in ensembles:
                    ensemble: WorkflowHandle[Any, Tally] = client.get_workflow_handle(
                        workflow_id, result_type=Tally
                    )
                    tallies[workflow_id] = await ensemble.result()
                else:
                    await client.get_workflow_handle(workflow_id).result()
                pending.remove(workflow_id)
        except (RPCError, RuntimeError, OSError, ConnectionFailed):
            await asyncio.sleep(0.5)  # the server is down for a drill's restart: ask again
    return tallies


@cache
def reference_log(name: str) -> tuple[DomainEvent, ...]:
    return tuple(simulate(load_timeline(name)))


@cache
def reference_table(name: str, runs: int, seed: int) -> dict[str, object]:
    return comparable(explore_locally(load_plan(name), runs, seed))


def comparable(result: EnsembleTable) -> dict[str, object]:
    return {k: v for k, v in result.model_dump().items() if k not in RUN_ONLY}


@dataclass
class Findings:
    """What a drill found, summed over its rounds."""

    timelines: int = 0
    events: int = 0
    lost: int = 0  # a seq of the reference missing from the store
    duplicated: int = 0  # a seq stored twice, or an event stored beyond the reference's last
    changed: int = 0  # a seq stored with other content than the reference's
    ensembles: int = 0
    tables_differing: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, store: EventStore, work: Workload, tallies: dict[str, Tally]) -> None:
        for timeline in work.timelines:
            expected = reference_log(timeline.definition.id)
            stored = store.events(timeline.id)
            seqs = [e.seq for e in stored]
            by_seq = {e.seq: e for e in stored}
            missing = [e.seq for e in expected if e.seq not in by_seq]
            lost = len(missing)
            duplicated = len(seqs) - len(set(seqs)) + sum(1 for s in set(seqs) if s > len(expected))
            changed = sum(1 for e in expected if e.seq in by_seq and by_seq[e.seq] != e)
            self.timelines += 1
            self.events += len(stored)
            self.lost, self.duplicated, self.changed = (
                self.lost + lost,
                self.duplicated + duplicated,
                self.changed + changed,
            )
            if lost or duplicated or changed:
                self.problems.append(
                    f"{timeline.id}: {lost} lost, {duplicated} duplicated, {changed} changed"
                    + (f" (lost seqs {_spans(missing)})" if missing else "")
                )
        for ensemble in work.ensembles:
            got = comparable(table(ensemble.plan, ensemble.seed, tallies[ensemble.id], "temporal", 0, 0))
            self.ensembles += 1
            if got != reference_table(ensemble.plan.id, ensemble.runs, ensemble.seed):
                self.tables_differing += 1
                self.problems.append(f"{ensemble.id}: the table differs from the uninterrupted one")

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.changed or self.tables_differing)

    def lines(self) -> list[str]:
        return [
            f"timelines checked: {self.timelines} ({self.events} events); "
            f"ensembles checked: {self.ensembles}",
            f"events lost: {self.lost}; duplicated: {self.duplicated}; changed: {self.changed}",
            f"ensemble tables differing: {self.tables_differing}",
            *self.problems,
        ]


def _spans(seqs: list[int]) -> str:
    """1, 2, 3, 7 as "1-3, 7": where in a log the holes are."""
    spans: list[list[int]] = []
    for seq in seqs:
        if spans and seq == spans[-1][1] + 1:
            spans[-1][1] = seq
        else:
            spans.append([seq, seq])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


def worker_process(
    address: str, task_queue: str, log: Path, store: str | None = None
) -> subprocess.Popen[bytes]:
    """A `python worker.py` process polling the drill's queue (its log appended to `log`)."""
    env = {**os.environ, "TEMPORAL_ADDRESS": address, "EXCOMM_TASK_QUEUE": task_queue}
    if store is not None:
        env["EXCOMM_EVENT_STORE"] = store
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, str(WORKER)], env=env, stdout=output, stderr=output, stdin=subprocess.DEVNULL
        )


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def __str__(self) -> str:
        return f"{time.monotonic() - self.started:6.1f} s"
