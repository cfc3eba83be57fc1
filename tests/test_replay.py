"""Stored histories of every shipped timeline replay against the current workflow code.

A failure here means a change to workflow code is not deterministic for timelines
already running or stored: guard the change with `workflow.patched`, do not re-record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from timelines.loader import catalogue_names
from worker import WORKFLOW_RUNNER, WORKFLOWS

HISTORIES = Path(__file__).parent / "histories"
STORED = sorted(HISTORIES.glob("*.json"))


def test_every_shipped_timeline_has_stored_histories() -> None:
    recorded = {path.name.split(".")[0] for path in STORED}
    assert set(catalogue_names()) <= recorded


@pytest.mark.parametrize("path", STORED, ids=[p.stem for p in STORED])
async def test_a_stored_history_replays_without_non_determinism(path: Path) -> None:
    stored = json.loads(path.read_text())
    history = WorkflowHistory.from_json(stored["workflow_id"], stored["history"])
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=WORKFLOW_RUNNER
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
