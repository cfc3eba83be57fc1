"""Stored histories of every shipped timeline replay against the current workflow code.

A failure here means a change to workflow code is not deterministic for timelines
already running or stored: guard the change with `workflow.patched`, do not re-record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from models.engine import RULES
from models.events import DomainEvent
from models.run import EventBatch, TimelineRun
from models.simulation import simulate
from service.runtime.workers import WORKFLOW_RUNNER, WORKFLOWS
from timelines.loader import catalogue_names, load_timeline

HISTORIES = Path(__file__).parent / "histories"
STORED = sorted(HISTORIES.glob("*.json"))
T = TypeVar("T")


def _scenario(path: Path) -> str:
    """`memo.moves.json` and `memo.rules1-moves.json` are both the `moves` scenario."""
    return path.stem.split(".")[-1].split("-")[-1]


def _input(path: Path) -> TimelineRun:
    stored = json.loads(path.read_text())
    history = WorkflowHistory.from_json(stored["workflow_id"], stored["history"])
    started = history.events[0].workflow_execution_started_event_attributes
    return _decoded(started.input.payloads[0], TimelineRun)


@pytest.mark.parametrize("name", catalogue_names())
def test_every_shipped_timeline_has_a_stored_history_of_its_version_under_todays_rules(name: str) -> None:
    current = load_timeline(name)
    runs = [_input(path) for path in STORED if path.name.split(".")[0] == name]
    assert any(
        (run.timeline.version, run.rules) == (current.version, RULES) and run.timeline == current
        for run in runs
    ), f"record a history of {name} v{current.version}: python -m tests.histories.record"


@pytest.mark.parametrize("path", STORED, ids=[p.stem for p in STORED])
async def test_a_stored_history_replays_without_non_determinism(path: Path) -> None:
    stored = json.loads(path.read_text())
    history = WorkflowHistory.from_json(stored["workflow_id"], stored["history"])
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=WORKFLOW_RUNNER
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def _decoded(payload: Any, kind: type[T]) -> T:
    (value,) = pydantic_data_converter.payload_converter.from_payloads([payload], [kind])
    return cast(T, value)


# Histories whose moves came live (by signal or update) entered the engine at the instant
# the workflow saw them; test_moves checks those against the in-process engine instead.
WITHOUT_LIVE_MOVES = [p for p in STORED if _scenario(p) != "moves"]


@pytest.mark.parametrize("path", WITHOUT_LIVE_MOVES, ids=[p.stem for p in WITHOUT_LIVE_MOVES])
def test_a_stored_history_recorded_the_events_the_engine_gives_today(path: Path) -> None:
    """Replay checks commands; this checks meaning: the events a history recorded must be
    the events today's engine computes from the same input and the same moves. A change to
    the interpreter that alters them must be guarded by `workflow.patched`."""
    stored = json.loads(path.read_text())
    history = WorkflowHistory.from_json(stored["workflow_id"], stored["history"])
    run = _input(path)
    recorded: list[DomainEvent] = []
    for event in history.events:
        scheduled = event.activity_task_scheduled_event_attributes
        if (
            event.HasField("activity_task_scheduled_event_attributes")
            and scheduled.activity_type.name == "record_events"
        ):
            recorded += _decoded(scheduled.input.payloads[0], EventBatch).events
    assert recorded == list(simulate(run.timeline, run.rules))
