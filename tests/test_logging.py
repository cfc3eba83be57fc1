"""Logs: JSON when not on a terminal, naming the timeline a record is about."""

from __future__ import annotations

import json
import logging

import pytest

from service.runtime.logs import configure_logging


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


def test_a_pool_retrying_its_connections_in_an_outage_is_quiet_unless_a_level_is_asked_for(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # During a PostgreSQL outage `replay` printed 27 JSON psycopg.pool warnings beside its
    # own one-line "waiting" and "goes on".
    monkeypatch.delenv("EXCOMM_LOG_LEVEL", raising=False)
    configure_logging(json_output=True)
    logging.getLogger("psycopg.pool").warning("error connecting in 'pool-1': connection refused")
    logging.getLogger("psycopg.pool").error("the pool is closed")
    said = capsys.readouterr().err
    assert "connection refused" not in said and "the pool is closed" in said
    monkeypatch.setenv("EXCOMM_LOG_LEVEL", "WARNING")
    configure_logging(json_output=True)
    logging.getLogger("psycopg.pool").warning("error connecting in 'pool-1': connection refused")
    assert "connection refused" in capsys.readouterr().err
