"""Logs: JSON when not on a terminal, naming the timeline a record is about."""

from __future__ import annotations

import json
import logging

import pytest

from service.logs import configure_logging


def test_records_from_the_sdk_loggers_come_out_as_json_with_the_timeline_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(level="INFO", json_output=True)
    logging.getLogger("temporalio.workflow").info(
        "paused",
        extra={"temporal_workflow": {"workflow_id": "october-1962-x"}, "simulated_date": "1962-10-27"},
    )
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert record["event"] == "paused"
    assert record["timeline_id"] == "october-1962-x"
    assert record["simulated_date"] == "1962-10-27"
    assert record["level"] == "info"


def test_on_a_terminal_the_output_is_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(level="INFO", json_output=False)
    logging.getLogger("excomm").info("worker started")
    line = capsys.readouterr().err
    assert "worker started" in line
    assert not line.lstrip().startswith("{")
