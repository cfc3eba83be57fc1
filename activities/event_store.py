"""The event store: the domain log of every timeline, outliving Temporal's history.

Temporal's history is the execution record and is kept only for the namespace's
retention period; the domain log outlives it here. Appends are idempotent on
(timeline id, seq): an activity retried after a worker crash writes nothing twice,
and a retry carrying a *different* event for a seq already stored is refused, since
that can only mean a non-deterministic timeline.

Two stores keep this contract: a SQLite file, the default on one machine
(activities.sqlite_store), and PostgreSQL, which every worker of a cluster shares
(activities.postgres_store). `EXCOMM_EVENT_STORE` chooses: a path, or a
`postgresql://` URL (activities.stores reads it and opens the store; this contract
knows neither backend).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from models.errors import ExcommError
from models.events import DomainEvent
from models.timeline import InitialWorld


class ConflictingEvent(Exception):
    """A seq already stored with a different event: the timeline diverged on replay."""


class StoreUnavailable(ExcommError):
    """The store cannot be read or written (full disk, permissions, not a database, a
    database server that does not answer or refuses the schema)."""


@dataclass(frozen=True)
class StoredTimeline:
    timeline_id: str
    name: str
    version: int
    initial: InitialWorld
    events: int
    parent: str | None = None
    fork_seq: int | None = None
    status: str | None = None  # set when it ended otherwise than by finishing: cancelled
    created_at: str | None = None
    last_at: str | None = None  # the simulated instant of its last recorded event
    variant: str | None = None  # the plan a branch runs from its fork (`branch --variant`)
    behaviour: str | None = None  # the behaviours that play in it, and from when


# Every timeline with its count of events and last instant; `{where}` is a store's own
# literal (placeholders differ: `?` for SQLite, `%s` for PostgreSQL).
TIMELINES_QUERY = (
    "SELECT t.timeline_id, t.name, t.version, t.initial, COUNT(e.seq), t.parent_id, t.fork_seq, "
    "t.status, t.created_at, MAX(e.at), t.variant, t.behaviour FROM timelines t "
    "LEFT JOIN events e ON e.timeline_id = t.timeline_id {where} "
    "GROUP BY t.timeline_id ORDER BY t.created_at"
)


def stored_timelines(rows: Sequence[Sequence[Any]]) -> list[StoredTimeline]:
    """The rows of TIMELINES_QUERY, as either store returns them."""
    return [
        StoredTimeline(
            timeline_id,
            name,
            version,
            InitialWorld.model_validate_json(initial),
            count,
            parent,
            fork_seq,
            status,
            created,
            last,
            variant,
            behaviour,
        )
        for (
            timeline_id,
            name,
            version,
            initial,
            count,
            parent,
            fork_seq,
            status,
            created,
            last,
            variant,
            behaviour,
        ) in rows
    ]


class EventStore(Protocol):
    """What every store does; `location` names it in messages, never with a password."""

    location: str

    def migrate(self) -> tuple[int, int]: ...

    def check(self) -> None:
        """Raise StoreUnavailable, in one line, if the store cannot be used now."""

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
    ) -> int: ...

    def deliver(self, timeline_id: str, message_id: str, channel: str, at: datetime) -> bool: ...

    def deliveries(self, timeline_id: str) -> list[tuple[str, str, str]]: ...

    def events(self, timeline_id: str, after_seq: int = 0) -> list[DomainEvent]: ...

    def branches(self, timeline_id: str) -> list[tuple[str, int | None]]: ...

    def timeline(self, timeline_id: str) -> StoredTimeline | None: ...

    def timelines(self) -> list[StoredTimeline]: ...

    def mark(self, timeline_id: str, status: str) -> None: ...

    def archive(self, timeline_id: str, stamp: str) -> str: ...
