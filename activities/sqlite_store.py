"""The embedded event store, in one SQLite file: the default on one machine.

The contract (idempotent appends, conflicting events refused, lineage, cancellation) is
activities.event_store's; tests/test_event_store.py holds both stores to it. The file
is migrated on first use: it is one user's, on one machine, made by excomm itself.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from activities.event_store import (
    TIMELINES_QUERY,
    ConflictingEvent,
    StoredTimeline,
    StoreUnavailable,
    stored_timelines,
)
from activities.private_files import PRIVATE_FILE, create_private, disk_full, refuse_symlink
from activities.redaction import shown
from models.events import DomainEvent, event_from_json, event_to_json
from models.timeline import InitialWorld

# The schema's version, kept in SQLite's user_version. 0 is a store made before versions
# were kept: its tables may lack the columns that came with branches and cancellation.
SCHEMA_VERSION = 2
WAL_PATIENCE_S = 30  # as long as a connection waits for a lock (sqlite3's timeout)
_TABLES = (
    """CREATE TABLE IF NOT EXISTS timelines (
        timeline_id TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        version     INTEGER NOT NULL,
        initial     TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        parent_id   TEXT,
        fork_seq    INTEGER,
        status      TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        timeline_id TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        at          TEXT NOT NULL,
        type        TEXT NOT NULL,
        body        TEXT NOT NULL,
        PRIMARY KEY (timeline_id, seq)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS deliveries (
        timeline_id TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        channel     TEXT NOT NULL,
        at          TEXT NOT NULL,
        PRIMARY KEY (timeline_id, message_id)
    ) WITHOUT ROWID""",
)
_LATER_COLUMNS = (
    ("parent_id", "TEXT"),
    ("fork_seq", "INTEGER"),
    ("status", "TEXT"),
    ("variant", "TEXT"),  # schema 2: a branch's variant and behaviours, for `tree`
    ("behaviour", "TEXT"),
)


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the store to SCHEMA_VERSION, once, whoever gets there first.

    Processes open a new store at the same moment (five commands at once, several
    workers): the check and the change happen under SQLite's write lock, so one of them
    migrates and the others find it done.
    """
    if db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            for table in _TABLES:
                db.execute(table)
            columns = {row[1] for row in db.execute("PRAGMA table_info(timelines)")}
            for column, kind in _LATER_COLUMNS:
                if column not in columns:  # a store made before branches or cancellation
                    db.execute(f"ALTER TABLE timelines ADD COLUMN {column} {kind}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # SQLite has already rolled back after some errors (a full disk)
            db.execute("ROLLBACK")
        raise


def _use_wal(db: sqlite3.Connection) -> None:
    """Write-ahead logging, so readers never wait for a writer. The file keeps it once
    set; setting it fails at once with "database is locked", without waiting as other
    statements do, while another process writes or sets it: so it is set only when
    missing, and tried again for a while."""
    deadline = time.monotonic() + WAL_PATIENCE_S
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)  # another process holds the lock a moment: ask again


def _reason(exc: BaseException, path: Path) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        said = exc.strerror.lower()
    else:
        said = str(exc) or type(exc).__name__
    # A full disk reaches SQLite as 'database or disk is full' or, writing its WAL, as
    # 'disk I/O error': name it for what it is.
    full = disk_full(path)
    return f"{full}: {said}" if full is not None and "full" not in said else said


def _companions(path: Path) -> tuple[Path, Path, Path]:
    """The database and the files SQLite keeps beside it in WAL mode."""
    return path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def _owner_only(path: Path) -> None:
    """The store holds analysts' work: readable by its owner only (with its WAL files).
    SQLite makes its -wal and -shm files with the database's own mode; a store made by an
    older excomm is tightened here (never through a symlink)."""
    for member in _companions(path):
        with suppress(FileNotFoundError):
            if not member.is_symlink() and member.stat().st_mode & 0o077:
                member.chmod(PRIVATE_FILE)


class SqliteEventStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = shown(path)

    def check(self) -> None:
        """An existing file is opened; a new one is not made yet (a command refused for
        another reason leaves nothing behind), but its folder must exist and be writable:
        excomm makes no folders outside its home (a mistyped store is not a new tree)."""
        if self.path.exists() or self.path.is_symlink():
            with self._connect():
                pass
            return
        folder = self.path.parent
        unusable = f"the event store {self.location} cannot be used"
        if not folder.is_dir():
            raise StoreUnavailable(f"{unusable}: there is no folder {folder}")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StoreUnavailable(f"{unusable}: {folder} is not writable")

    def migrate(self) -> tuple[int, int]:
        """Bring the file to SCHEMA_VERSION (it is done on first use anyway): (before, after)."""
        if self.path.exists():
            with closing(sqlite3.connect(self.path)) as db:
                before = int(db.execute("PRAGMA user_version").fetchone()[0])
        else:
            before = 0
        with self._connect():
            pass
        return before, SCHEMA_VERSION

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            for member in _companions(self.path):
                refuse_symlink(member)
            create_private(self.path)
            with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
                _use_wal(db)
                db.execute("PRAGMA synchronous=NORMAL")
                _migrate(db)
                _owner_only(self.path)
                yield db
        except (sqlite3.Error, OSError) as exc:
            # A full disk, a read-only folder, a directory where the file should be: one
            # line naming the store. An activity retries it; a command reports it.
            reason = _reason(exc, self.path)
            raise StoreUnavailable(f"the event store {self.location} cannot be used: {reason}") from exc

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
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "INSERT OR IGNORE INTO timelines (timeline_id, name, version, initial, created_at, "
                    "parent_id, fork_seq, variant, behaviour) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                added = 0
                for row in rows:
                    cursor = db.execute("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?)", row)
                    if cursor.rowcount:
                        added += 1
                        continue
                    (stored,) = db.execute(
                        "SELECT body FROM events WHERE timeline_id = ? AND seq = ?", row[:2]
                    ).fetchone()
                    if stored != row[4]:
                        raise ConflictingEvent(
                            f"timeline {timeline_id} seq {row[1]}: a different event is already stored"
                        )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return added

    def deliver(self, timeline_id: str, message_id: str, channel: str, at: datetime) -> bool:
        """Put a message in its recipient's outbox, once; True if it was not there yet."""
        with self._connect() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?)",
                (timeline_id, message_id, channel, at.isoformat()),
            )
            return bool(cursor.rowcount)

    def deliveries(self, timeline_id: str) -> list[tuple[str, str, str]]:
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT message_id, channel, at FROM deliveries WHERE timeline_id = ? "
                "ORDER BY at, message_id",
                (timeline_id,),
            ).fetchall()
        return [(str(m), str(c), str(a)) for m, c, a in rows]

    def events(self, timeline_id: str, after_seq: int = 0) -> list[DomainEvent]:
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT body FROM events WHERE timeline_id = ? AND seq > ? ORDER BY seq",
                (timeline_id, after_seq),
            ).fetchall()
        return [event_from_json(body) for (body,) in rows]

    def branches(self, timeline_id: str) -> list[tuple[str, int | None]]:
        """The timelines forked from this one, with their fork points."""
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT timeline_id, fork_seq FROM timelines WHERE parent_id = ? ORDER BY created_at",
                (timeline_id,),
            ).fetchall()
        return [(str(child), fork) for child, fork in rows]

    def timeline(self, timeline_id: str) -> StoredTimeline | None:
        found = self._timelines("WHERE t.timeline_id = ?", (timeline_id,))
        return found[0] if found else None

    def timelines(self) -> list[StoredTimeline]:
        """Every timeline recorded here, oldest first."""
        return self._timelines("", ())

    def _timelines(self, where: str, args: tuple[str, ...]) -> list[StoredTimeline]:
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(TIMELINES_QUERY.format(where=where), args).fetchall()
        return stored_timelines(rows)

    def mark(self, timeline_id: str, status: str) -> None:
        """Say how a timeline ended, when it did not finish (cancelled): its events stay."""
        with self._connect() as db:
            db.execute("UPDATE timelines SET status = ? WHERE timeline_id = ?", (status, timeline_id))

    def archive(self, timeline_id: str, stamp: str) -> str:
        """Move a timeline's records under a new id (`ID~archived-STAMP`), so that the id is
        free for a new one and the old events never mix with the new. Returns the new id."""
        archived = f"{timeline_id}~archived-{stamp}"
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("UPDATE timelines SET status = 'archived' WHERE timeline_id = ?", (timeline_id,))
                for table in ("timelines", "events", "deliveries"):
                    db.execute(
                        f"UPDATE {table} SET timeline_id = ? WHERE timeline_id = ?", (archived, timeline_id)
                    )
                db.execute("UPDATE timelines SET parent_id = ? WHERE parent_id = ?", (archived, timeline_id))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return archived
