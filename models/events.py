"""Domain events: every change to the world of October 1962 is one of these.

Events are immutable, typed by a ``type`` discriminator named in the past tense, and
versioned by ``v`` so an old stored shape can be upcast when it is read back. ``seq`` is
the event's place on its timeline (1, 2, 3, ...); an event authored in a timeline file has
no place yet (``seq`` 0) until the engine puts it on a timeline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)

from models.washington import offset_is_washington, zone_at


def _in_washington_time(value: datetime) -> datetime:
    # Every instant is written in Washington time with its offset; rejecting any other
    # offset catches the classic slip around the EDT->EST change of 28 Oct 1962.
    if not offset_is_washington(value):
        zone = zone_at(value)
        raise ValueError(
            f"offset is not Washington time at that instant (expected {zone.tzname(None)}, "
            f"{_format_offset(zone.utcoffset(None))})"
        )
    return value


def _format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


WashingtonTime = Annotated[AwareDatetime, AfterValidator(_in_washington_time)]

Outcome = Literal["negotiated_withdrawal", "military_action", "nuclear_exchange", "stalemate"]
MissileStatus = Literal["undetected", "detected", "dismantling", "removed"]
QuarantineStatus = Literal["none", "proclaimed", "in_force", "lifted"]
JupiterStatus = Literal["deployed", "withdrawal_assured", "dismantling", "removed"]
IncidentKind = Literal[
    "ship_allowed_through",
    "ship_turned_back",
    "ship_boarded",
    "aircraft_shot_down",
    "aircraft_fired_on",
    "airspace_violated",
]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: int = Field(default=1, ge=1, description="schema version of this event type")
    seq: int = Field(default=0, ge=0, description="place on the timeline, from 1; 0 if unplaced")
    at: WashingtonTime = Field(description="the simulated instant the event happened")
    learned_at: WashingtonTime | None = Field(
        default=None, description="when Washington learned of it, if later than `at`"
    )
    actor: str = Field(min_length=1)
    summary: str = Field(min_length=1, description="what happened, in our own words")
    sources: tuple[str, ...] = Field(min_length=1, description="citations, e.g. FRUS 1961-63 v06 d65")
    uncertainty: str | None = Field(
        default=None, description="where the sources disagree on the hour or the date"
    )
    step: str | None = Field(default=None, description="the memo paragraph carried out, e.g. 5a")

    @model_validator(mode="after")
    def _learned_after_it_happened(self) -> _Event:
        if self.learned_at is not None and self.learned_at < self.at:
            raise ValueError("learned_at is before at")
        return self


class ReconnaissanceFlown(_Event):
    type: Literal["reconnaissance_flown"] = "reconnaissance_flown"
    mission: str


class MissilesDetected(_Event):
    type: Literal["missiles_detected"] = "missiles_detected"
    finding: str


class IntelligenceReported(_Event):
    type: Literal["intelligence_reported"] = "intelligence_reported"
    finding: str


class MeetingHeld(_Event):
    type: Literal["meeting_held"] = "meeting_held"
    forum: str
    decision: str | None = None


class StatementMade(_Event):
    type: Literal["statement_made"] = "statement_made"
    medium: str


class DefconChanged(_Event):
    type: Literal["defcon_changed"] = "defcon_changed"
    commands: tuple[str, ...] = Field(min_length=1)
    level: int = Field(ge=1, le=5)


class QuarantineProclaimed(_Event):
    type: Literal["quarantine_proclaimed"] = "quarantine_proclaimed"


class QuarantineEnteredIntoForce(_Event):
    type: Literal["quarantine_entered_into_force"] = "quarantine_entered_into_force"


class QuarantineLifted(_Event):
    type: Literal["quarantine_lifted"] = "quarantine_lifted"


class IncidentOccurred(_Event):
    type: Literal["incident_occurred"] = "incident_occurred"
    kind: IncidentKind
    subject: str = Field(description="the ship or aircraft concerned")


class MessageSent(_Event):
    type: Literal["message_sent"] = "message_sent"
    message_id: str = Field(min_length=1)
    channel: str = Field(min_length=1, description="e.g. cable, radio_moscow, scali_fomin")
    sender: str
    recipient: str
    arrives_at: WashingtonTime = Field(description="when it reaches the recipient")
    document: str | None = Field(default=None, description="citation of the text itself")
    terms: tuple[str, ...] = Field(default=(), description="what the message offers or asks")

    @model_validator(mode="after")
    def _arrives_after_sent(self) -> MessageSent:
        if self.arrives_at < self.at:
            raise ValueError("arrives_at is before at")
        return self


class MessageDelivered(_Event):
    type: Literal["message_delivered"] = "message_delivered"
    message_id: str
    channel: str


class AgreementReached(_Event):
    type: Literal["agreement_reached"] = "agreement_reached"
    terms: tuple[str, ...] = Field(min_length=1)
    outcome: Outcome | None = Field(default=None, description="set when this ends the crisis")


class MissileDismantlingBegan(_Event):
    type: Literal["missile_dismantling_began"] = "missile_dismantling_began"


class MissilesWithdrawn(_Event):
    type: Literal["missiles_withdrawn"] = "missiles_withdrawn"


class JupiterStatusChanged(_Event):
    type: Literal["jupiter_status_changed"] = "jupiter_status_changed"
    countries: tuple[str, ...] = Field(min_length=1)
    status: JupiterStatus


class AccordSigned(_Event):
    type: Literal["accord_signed"] = "accord_signed"
    accord: str = Field(description="e.g. direct_communications_link, limited_test_ban_treaty")
    opens_channel: str | None = Field(
        default=None, description="a channel of communication the accord creates"
    )


DomainEvent = Annotated[
    ReconnaissanceFlown
    | MissilesDetected
    | IntelligenceReported
    | MeetingHeld
    | StatementMade
    | DefconChanged
    | QuarantineProclaimed
    | QuarantineEnteredIntoForce
    | QuarantineLifted
    | IncidentOccurred
    | MessageSent
    | MessageDelivered
    | AgreementReached
    | MissileDismantlingBegan
    | MissilesWithdrawn
    | JupiterStatusChanged
    | AccordSigned,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[DomainEvent] = TypeAdapter(DomainEvent)


def event_from_json(data: str | bytes) -> DomainEvent:
    """Read one stored event back (every stored event is at version 1 so far)."""
    return EVENT_ADAPTER.validate_json(data)


def event_to_json(event: DomainEvent) -> str:
    """The canonical serialisation of an event: stable, compact, what the store keeps."""
    return event.model_dump_json(exclude_none=True)
