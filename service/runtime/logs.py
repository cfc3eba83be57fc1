"""Logging: structlog, pretty on a terminal and JSON otherwise.

The SDK's `workflow.logger` and `activity.logger` are standard-library loggers (and
replay-safe); they are routed through structlog's ProcessorFormatter so their records
come out in the same format, with the workflow and activity context they carry.
"""

from __future__ import annotations

import logging
import os
import sys

import structlog

from models.errors import ExcommError

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class BadLogLevel(ExcommError, ValueError):
    pass


def _timeline_id(_: object, __: str, event_dict: structlog.types.EventDict) -> structlog.types.EventDict:
    """Name the timeline a record is about, whichever of the SDK's contexts carries it."""
    for context in ("temporal_workflow", "temporal_activity"):
        info = event_dict.get(context)
        if isinstance(info, dict) and "workflow_id" in info:
            event_dict.setdefault("timeline_id", info["workflow_id"])
    return event_dict


def configure_logging(level: str | None = None, json_output: bool | None = None) -> None:
    """Route structlog, the standard library's and the Temporal SDK's loggers to stderr,
    in one format."""
    from temporalio import activity, workflow  # not at import: see cli

    chosen = level or os.environ.get("EXCOMM_LOG_LEVEL", "WARNING")
    if chosen.upper() not in LEVELS:
        raise BadLogLevel(f"EXCOMM_LOG_LEVEL {chosen!r} is not a log level: use one of {', '.join(LEVELS)}")
    level = chosen.upper()
    if json_output is None:
        json_output = not sys.stderr.isatty()
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        _timeline_id,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    # The context travels as structured fields; do not also paste it into the message.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # A command's own worker logs every failed activity attempt as a warning; the command
    # reports a timeline that cannot go on in one line of its own (service.runs.lifecycle.trouble),
    # so those stay quiet unless a log level is asked for.
    quiet = level == "WARNING" and "EXCOMM_LOG_LEVEL" not in os.environ
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR if quiet else logging.NOTSET)
    # Likewise the PostgreSQL pool's warning per failed reconnection during an outage: the
    # command's one "waiting" line says it, and another when the timeline goes on.
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR if quiet else logging.NOTSET)
