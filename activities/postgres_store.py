"""The shared event store of a cluster, in PostgreSQL: every worker, on every machine,
appends to it and every view reads it, so no timeline's log is split between machines.

psycopg 3 with psycopg_pool: the SQL is the SQLite store's, written for PostgreSQL by
hand (a few statements, no ORM to learn), and the pool keeps a few connections per
process for the activities' threads. The schema is versioned (table `excomm_schema`) and
changed only by an explicit step, `excomm store migrate`, run once by whoever runs the
cluster; a store without the schema this excomm expects is refused in one line.

The URL may hold a password: messages name the store by `location`, which never does.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from activities.event_store import (
    TIMELINES_QUERY,
    ConflictingEvent,
    StoredTimeline,
    StoreUnavailable,
    stored_timelines,
)
from activities.redaction import redacted
from models.events import DomainEvent, event_from_json, event_to_json
from models.timeline import InitialWorld

SCHEMA_VERSION = 2
# Each version's statements, applied in order by `migrate`, in one transaction each.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE timelines (
            timeline_id TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            version     INTEGER NOT NULL,
            initial     TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            parent_id   TEXT,
            fork_seq    INTEGER,
            status      TEXT
        )""",
        "CREATE INDEX timelines_by_parent ON timelines (parent_id)",
        """CREATE TABLE events (
            timeline_id TEXT NOT NULL,
            seq         INTEGER NOT NULL,
            at          TEXT NOT NULL,
            type        TEXT NOT NULL,
            body        TEXT NOT NULL,
            PRIMARY KEY (timeline_id, seq)
        )""",
        """CREATE TABLE deliveries (
            timeline_id TEXT NOT NULL,
            message_id  TEXT NOT NULL,
            channel     TEXT NOT NULL,
            at          TEXT NOT NULL,
            PRIMARY KEY (timeline_id, message_id)
        )""",
    ),
    # A branch's variant and behaviours, for `tree`.
    2: (
        "ALTER TABLE timelines ADD COLUMN variant TEXT",
        "ALTER TABLE timelines ADD COLUMN behaviour TEXT",
    ),
}
CONNECT_TIMEOUT_S = 5
MIGRATION_LOCK = 1962_10_26  # the advisory lock two `migrate`s at once take in turn

_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()


def _first_line(exc: BaseException, url: str, password: str | None) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    for secret in (url, password):
        if secret:
            text = text.replace(secret, "***")
    return text


@atexit.register
def _close_pools() -> None:
    for pool in _pools.values():
        pool.close(timeout=1)


class PostgresEventStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.location = redacted(url)
        self._password = psycopg.conninfo.conninfo_to_dict(url).get("password")

    # --- connections and the schema ------------------------------------------------------

    def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        reason = _first_line(exc, self.url, str(self._password) if self._password else None)
        return StoreUnavailable(f"the event store {self.location} cannot be used: {reason}")

    def _connect_once(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            raise self._unavailable(exc) from None

    def _check_schema(self, conn: psycopg.Connection[Any]) -> None:
        try:
            row = conn.execute("SELECT version FROM excomm_schema").fetchone()
        except pg_errors.UndefinedTable:
            found = 0
        else:
            found = int(row[0]) if row else 0
        if found < SCHEMA_VERSION:
            raise StoreUnavailable(
                f"the event store {self.location} has schema {found}, this excomm needs "
                f"{SCHEMA_VERSION}: run `excomm store migrate` once, with EXCOMM_EVENT_STORE set"
            )
        if found > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"the event store {self.location} has schema {found}, newer than this excomm's "
                f"{SCHEMA_VERSION}: upgrade excomm"
            )

    def _pool(self) -> ConnectionPool:
        with _pools_lock:
            pool = _pools.get(self.url)
            if pool is not None:
                return pool
            # Once per process: a first connection says in one line why it cannot be made
            # (the pool would only time out), and checks the schema.
            with self._connect_once() as first:
                self._check_schema(first)
            pool = ConnectionPool(
                self.url,
                min_size=1,
                max_size=8,
                kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
                timeout=30,
                name="excomm-event-store",
                open=True,
            )
            _pools[self.url] = pool
            return pool

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        pool = self._pool()
        try:
            with pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            raise self._unavailable(exc) from None
        except Exception as exc:  # the pool's own: a timeout waiting for a connection
            if type(exc).__module__.startswith("psycopg_pool"):
                raise self._unavailable(exc) from None
            raise

    def check(self) -> None:
        with self._connection() as conn:
            conn.execute("SELECT 1")

    def schema_version(self) -> int:
        with self._connect_once() as conn:
            try:
                row = conn.execute("SELECT version FROM excomm_schema").fetchone()
            except pg_errors.UndefinedTable:
                return 0
            return int(row[0]) if row else 0

    def migrate(self) -> tuple[int, int]:
        """Apply the migrations this database lacks, each in its own transaction, under
        an advisory lock (two at once take turns): (version before, version after)."""
        with self._connect_once() as conn:
            try:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                    conn.execute("CREATE TABLE IF NOT EXISTS excomm_schema (version INTEGER NOT NULL)")
                    row = conn.execute("SELECT version FROM excomm_schema").fetchone()
                    if row is None:
                        conn.execute("INSERT INTO excomm_schema VALUES (0)")
                    before = int(row[0]) if row else 0
                    if before > SCHEMA_VERSION:
                        raise StoreUnavailable(
                            f"the event store {self.location} has schema {before}, newer than this "
                            f"excomm's {SCHEMA_VERSION}: upgrade excomm"
                        )
                    for version in range(before + 1, SCHEMA_VERSION + 1):
                        for statement in MIGRATIONS[version]:
                            conn.execute(statement)  # our own literals
                        conn.execute("UPDATE excomm_schema SET version = %s", (version,))
            except psycopg.Error as exc:
                raise self._unavailable(exc) from None
        return before, SCHEMA_VERSION

    # --- the contract -------------------------------------------------------------------

    def append(
        self,
        timeline_id: str,
        name: str,
        version: int,
        initial: InitialWorld,
        events: Sequence[DomainEvent],
        parent: str | None = None,
        fork_seq: int | None = None,
        variant: str | None = None,
        behaviour: str | None = None,
    ) -> int:
        """Append events idempotently; returns how many were new."""
        rows = [(timeline_id, e.seq, e.at.isoformat(), e.type, event_to_json(e)) for e in events]
        with self._connection() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO timelines (timeline_id, name, version, initial, created_at, parent_id, "
                "fork_seq, variant, behaviour) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (timeline_id) DO NOTHING",
                (
                    timeline_id,
                    name,
                    version,
                    initial.model_dump_json(),
                    datetime.now(UTC).isoformat(),
                    parent,
                    fork_seq,
                    variant,
                    behaviour,
                ),
            )
            if not rows:
                return 0
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO events VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING seq",
                    rows,
                    returning=True,
                )
                added: set[int] = set()
                while True:
                    added.update(int(seq) for (seq,) in cursor.fetchall())
                    if not cursor.nextset():
                        break
            already = [row for row in rows if row[1] not in added]
            if already:
                stored = dict(
                    conn.execute(
                        "SELECT seq, body FROM events WHERE timeline_id = %s AND seq = ANY(%s)",
                        (timeline_id, [row[1] for row in already]),
                    ).fetchall()
                )
                for row in already:
                    if stored.get(row[1]) != row[4]:
                        # Raised inside the transaction: nothing of this batch is written.
                        raise ConflictingEvent(
                            f"timeline {timeline_id} seq {row[1]}: a different event is already stored"
                        )
        return len(added)

    def deliver(self, timeline_id: str, message_id: str, channel: str, at: datetime) -> bool:
        """Put a message in its recipient's outbox, once; True if it was not there yet."""
        with self._connection() as conn:
            cursor = conn.execute(
                "INSERT INTO deliveries VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (timeline_id, message_id, channel, at.isoformat()),
            )
            return bool(cursor.rowcount)

    def deliveries(self, timeline_id: str) -> list[tuple[str, str, str]]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT message_id, channel, at FROM deliveries WHERE timeline_id = %s "
                "ORDER BY at, message_id",
                (timeline_id,),
            ).fetchall()
        return [(str(m), str(c), str(a)) for m, c, a in rows]

    def events(self, timeline_id: str, after_seq: int = 0) -> list[DomainEvent]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT body FROM events WHERE timeline_id = %s AND seq > %s ORDER BY seq",
                (timeline_id, after_seq),
            ).fetchall()
        return [event_from_json(body) for (body,) in rows]

    def branches(self, timeline_id: str) -> list[tuple[str, int | None]]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT timeline_id, fork_seq FROM timelines WHERE parent_id = %s ORDER BY created_at",
                (timeline_id,),
            ).fetchall()
        return [(str(child), fork) for child, fork in rows]

    def timeline(self, timeline_id: str) -> StoredTimeline | None:
        found = self._timelines("WHERE t.timeline_id = %s", (timeline_id,))
        return found[0] if found else None

    def timelines(self) -> list[StoredTimeline]:
        """Every timeline recorded here, oldest first."""
        return self._timelines("", ())

    def _timelines(self, where: str, args: tuple[str, ...]) -> list[StoredTimeline]:
        with self._connection() as conn:
            rows = conn.execute(TIMELINES_QUERY.format(where=where), args).fetchall()  # our own literals
        return stored_timelines(rows)

    def mark(self, timeline_id: str, status: str) -> None:
        """Say how a timeline ended, when it did not finish (cancelled): its events stay."""
        with self._connection() as conn:
            conn.execute("UPDATE timelines SET status = %s WHERE timeline_id = %s", (status, timeline_id))

    def archive(self, timeline_id: str, stamp: str) -> str:
        """Move a timeline's records under a new id (`ID~archived-STAMP`), so that the id is
        free for a new one and the old events never mix with the new. Returns the new id."""
        archived = f"{timeline_id}~archived-{stamp}"
        with self._connection() as conn, conn.transaction():
            conn.execute("UPDATE timelines SET status = 'archived' WHERE timeline_id = %s", (timeline_id,))
            for table in ("timelines", "events", "deliveries"):
                conn.execute(
                    f"UPDATE {table} SET timeline_id = %s WHERE timeline_id = %s",
                    (archived, timeline_id),
                )
            conn.execute("UPDATE timelines SET parent_id = %s WHERE parent_id = %s", (archived, timeline_id))
        return archived
