"""Which event store: `EXCOMM_EVENT_STORE` read as a URL or a path, never a guess; and opened.

A mistyped URL must not quietly become a SQLite file named after it (with its password in
the folder's name, and on a cluster a log split between machines). So what looks like a
database URL, or a libpq `key=value` string, is a `postgresql://` URL that psycopg can
read, or it is refused in one line that shows it without its password. Everything else is
the path of a SQLite file, in a folder that exists.

The contract (activities.event_store) knows nothing of its backends; this module, which
chooses one, is the only one that imports both.
"""

from __future__ import annotations

import re
from pathlib import Path

from activities.event_store import EventStore, StoreUnavailable
from activities.redaction import redacted

URL_SCHEMES = ("postgresql", "postgres")
# A scheme then ':' and a slash (any URL), or a database's name before a ':' (a URL that
# lost its slashes, such as `postgresql:excomm@db`).
_URL_LIKE = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:/|(?:postgres|pgsql|psql|sqlite|mysql)[A-Za-z0-9+.\-]*:", re.I
)
# The keywords of a libpq connection string, as in `host=db password=... dbname=excomm`.
_LIBPQ_KEY = re.compile(
    r"(?:^|\s)(?:host|hostaddr|port|dbname|user|password|passfile|sslmode|service|options|"
    r"connect_timeout|application_name|target_session_attrs)\s*=",
    re.I,
)


class StoreMisconfigured(StoreUnavailable):
    """EXCOMM_EVENT_STORE names no store excomm can use: said before anything is made."""


def _refused(configured: str, reason: str) -> StoreMisconfigured:
    return StoreMisconfigured(f"EXCOMM_EVENT_STORE {redacted(configured)!r} {reason}")


def location_of(configured: str) -> str | Path:
    """The store `EXCOMM_EVENT_STORE` names: a `postgresql://` URL (as given) or the path of
    a SQLite file; StoreMisconfigured, in one line, if it is neither."""
    if configured != configured.strip():
        raise _refused(configured, "has spaces around it: remove them")
    if "\0" in configured:
        raise _refused(configured, "holds a NUL character")
    if _URL_LIKE.match(configured):
        return _postgres_url(configured)
    if _LIBPQ_KEY.search(configured):
        raise _refused(
            configured,
            "is a libpq connection string: give a URL, postgresql://USER@HOST:PORT/DATABASE "
            "(the password in PGPASSWORD or ~/.pgpass)",
        )
    return Path(configured).expanduser()


def _postgres_url(configured: str) -> str:
    scheme = configured.split(":", 1)[0]
    if scheme.lower() not in URL_SCHEMES or not configured[len(scheme) :].startswith("://"):
        raise _refused(
            configured,
            "is not a store excomm supports: a PostgreSQL store is a URL that starts with "
            "postgresql:// (a SQLite store is a file's path)",
        )
    import psycopg

    try:
        parameters = psycopg.conninfo.conninfo_to_dict(configured)
    except psycopg.Error as exc:
        # Its message may quote the URL whole: never shown with the password.
        said = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        said = said.replace(configured, "the URL")
        raise _refused(configured, f"is not a PostgreSQL URL psycopg can use: {redacted(said)}") from None
    for port in str(parameters.get("port") or "5432").split(","):
        if not (port.isdigit() and 0 < int(port) < 65536):
            raise _refused(configured, "has a port that is not a number from 1 to 65535")
    return configured


def is_url(location: str | Path) -> bool:
    return isinstance(location, str)


def open_store(location: str | Path) -> EventStore:
    """The store at a path (SQLite) or a `postgresql://` URL."""
    if isinstance(location, str):
        location = location_of(location)
    if isinstance(location, str):
        from activities.postgres_store import PostgresEventStore  # psycopg only when needed

        return PostgresEventStore(location)
    from activities.sqlite_store import SqliteEventStore

    return SqliteEventStore(location)
