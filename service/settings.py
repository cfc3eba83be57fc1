"""Where excomm keeps its data, and the names it uses on a Temporal cluster."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

TASK_QUEUE = os.environ.get("EXCOMM_TASK_QUEUE", "excomm")


def excomm_home() -> Path:
    """EXCOMM_HOME, or the user's data directory for excomm."""
    configured = os.environ.get("EXCOMM_HOME")
    return Path(configured).expanduser() if configured else Path(platformdirs.user_data_dir("excomm"))


def event_store_path() -> Path:
    configured = os.environ.get("EXCOMM_EVENT_STORE")
    return Path(configured).expanduser() if configured else excomm_home() / "events.sqlite3"


def temporal_db_path() -> Path:
    return excomm_home() / "temporal.sqlite3"
