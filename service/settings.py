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


class HomeUnusable(Exception):
    """EXCOMM_HOME cannot hold excomm's data: a file, read-only, or not creatable."""


def ensure_home() -> Path:
    """The home folder, made if need be (readable by its owner only: the event store
    holds analysts' work), or HomeUnusable saying why not in one line."""
    home = excomm_home()
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = home / f".excomm-write-probe-{os.getpid()}"  # one per process: commands start together
        probe.touch()
        probe.unlink(missing_ok=True)
    except FileExistsError:
        raise HomeUnusable(f"EXCOMM_HOME {home} cannot be used: it is a file, not a folder") from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise HomeUnusable(f"EXCOMM_HOME {home} cannot be used: {reason}") from None
    return home


def default_store() -> Path:
    return excomm_home() / "events.sqlite3"


def event_store_location() -> str | Path:
    """EXCOMM_EVENT_STORE: a `postgresql://` URL (a cluster's shared store) or a SQLite
    file; by default the home's SQLite file."""
    from activities.event_store import is_url

    configured = os.environ.get("EXCOMM_EVENT_STORE")
    if not configured:
        return default_store()
    return configured if is_url(configured) else Path(configured).expanduser()


def temporal_db_path() -> Path:
    return excomm_home() / "temporal.sqlite3"
