"""The activity that appends a timeline's domain events to the event store."""

from __future__ import annotations

from datetime import datetime

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.event_store import ConflictingEvent, EventStore, StoreUnavailable
from models.run import EventBatch


class EventRecorder:
    """Holds the store, so a worker (or a test) chooses where events are recorded."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    @activity.defn(name="record_events")
    def record_events(self, batch: EventBatch) -> int:
        try:
            added = self.store.append(
                batch.timeline_id,
                batch.timeline,
                batch.version,
                batch.initial,
                batch.events,
                batch.parent,
                batch.fork_seq,
                batch.variant,
                batch.behaviour,
            )
        except ConflictingEvent as exc:
            # Retrying cannot fix a diverged timeline; fail loudly instead.
            raise ApplicationError(str(exc), type="ConflictingEvent", non_retryable=True) from exc
        except StoreUnavailable as exc:
            # Retrying is right (room can be made, a permission fixed): the timeline waits,
            # and a command following it reports this message (service.runs.lifecycle.troubles).
            raise ApplicationError(str(exc), type="StoreUnavailable") from exc
        activity.logger.info(
            "events recorded",
            extra={"timeline_id": batch.timeline_id, "added": added, "last_seq": batch.events[-1].seq},
        )
        return added

    @activity.defn(name="mark_timeline")
    def mark_timeline(self, timeline_id: str, status: str) -> None:
        """Say in the store how a timeline ended when it did not finish (cancelled)."""
        self.store.mark(timeline_id, status)

    @activity.defn(name="deliver_message")
    def deliver_message(self, timeline_id: str, message_id: str, channel: str, at: datetime) -> bool:
        """Deliver a message the plan sent, when its transit is over: once, whatever the retries."""
        return self.store.deliver(timeline_id, message_id, channel, at)
