"""Where excomm keeps its data, and the names it uses on a Temporal cluster."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

from activities.event_store import EventStore
from activities.private_files import PRIVATE_FOLDER
from activities.stores import location_of, open_store
from models.errors import ExcommError

TASK_QUEUE = os.environ.get("EXCOMM_TASK_QUEUE", "excomm")


def excomm_home() -> Path:
    """EXCOMM_HOME, or the user's data directory for excomm."""
    configured = os.environ.get("EXCOMM_HOME")
    return Path(configured).expanduser() if configured else Path(platformdirs.user_data_dir("excomm"))


class HomeUnusable(ExcommError):
    """EXCOMM_HOME cannot hold excomm's data: a file, read-only, not creatable, or not the
    user's own (owned by another, writable by others, or with a file planted as a link)."""


# What excomm writes in its home: none may be a symlink (nothing is written through one).
HOME_FILES = (
    "server.log",
    "server.json",
    "server.json.partial",
    "server.lock",
    "clients.lock",
    "server-start.lock",
    "temporal.sqlite3",
    "temporal.sqlite3-wal",
    "temporal.sqlite3-shm",
    "events.sqlite3",
    "events.sqlite3-wal",
    "events.sqlite3-shm",
)
_checked: set[Path] = set()


def check_home(home: Path) -> None:
    """HomeUnusable, in one line, unless `home` is a folder this user owns that no one else
    may write to, with none of excomm's files planted as a symlink. Once per process."""
    if home in _checked:
        return
    unusable = f"EXCOMM_HOME {home} cannot be used"
    try:
        found = home.stat()
    except OSError as exc:
        raise HomeUnusable(f"{unusable}: {(exc.strerror or str(exc)).lower()}") from None
    if not stat.S_ISDIR(found.st_mode):
        raise HomeUnusable(f"{unusable}: it is a file, not a folder")
    if found.st_uid != os.geteuid():
        raise HomeUnusable(
            f"{unusable}: it belongs to another user (uid {found.st_uid}); use a folder of your own"
        )
    if found.st_mode & 0o022:
        raise HomeUnusable(
            f"{unusable}: others may write to it (mode {stat.S_IMODE(found.st_mode):04o}); "
            f"make it yours alone with `chmod 700 {home}`"
        )
    for name in HOME_FILES:
        if (home / name).is_symlink():
            raise HomeUnusable(
                f"{unusable}: its {name} is a symbolic link, and excomm writes no file through one; remove it"
            )
    _checked.add(home)


def ensure_home() -> Path:
    """The home folder, made if need be (0700 whatever the umask: the event store holds
    analysts' work), checked to be the user's own, or HomeUnusable saying why not in one
    line."""
    home = excomm_home()
    try:
        if not home.exists() and not home.is_symlink():
            home.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
            home.chmod(PRIVATE_FOLDER)  # mkdir's mode passes through the umask
        check_home(home)
        # One per process: commands start together. Made without following a link.
        probe = home / f".excomm-write-probe-{os.getpid()}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
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
    file; by default the home's SQLite file. Anything that looks like a database URL but
    is not one excomm can use is refused in one line (activities.stores)."""
    configured = os.environ.get("EXCOMM_EVENT_STORE")
    if not configured:
        home = excomm_home()
        if home.exists() or home.is_symlink():  # read as it is; made only by those that write
            check_home(home)
        return default_store()
    return location_of(configured)


def temporal_db_path() -> Path:
    return excomm_home() / "temporal.sqlite3"


def usable_store(make_home: bool = False) -> EventStore:
    """The store a server, a worker or a migration writes to, checked now: a store that
    cannot be used is said before anything starts. The home's own store is checked once
    the home is there (`make_home` makes it; a server makes it only once its port is its)."""
    location = event_store_location()
    recorded = open_store(location)
    if location == default_store():
        if make_home:
            ensure_home()
        elif not excomm_home().exists():
            return recorded  # nothing there yet to be unusable: the home is made as it starts
    recorded.check()
    return recorded
