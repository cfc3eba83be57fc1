"""Domain events: every change to the world of October 1962 is one of these.

Events are immutable, typed by a ``type`` discriminator named in the past tense, and
versioned by ``v`` so an old stored shape can be upcast when it is read back. ``seq`` is
the event's place on its timeline (1, 2, 3, ...); an event authored in a timeline file has
no place yet (``seq`` 0) until the engine puts it on a timeline.

Every event says what kind of statement it is (``provenance``): ``historical`` (it
happened, and its sources say so), ``plan`` (a plan's action: the memo was a proposal,
never carried out as written), ``counterfactual`` (a variant's scripted move, an analyst's
move, a seeded draw) or ``derived`` (bookkeeping the engine infers from other events,
such as a message's delivery). Version 1 events, stored before provenance existed, are
upcast on read by the rule the engine then followed (`v1_provenance`).

Each side learns of an event when something brings it there (`known_at`). Version 3
events, which the engine's rules 3 write, carry whose act they are (``side``): their own
side knows at once; another side learns at its own ``learned_at`` (Washington),
``moscow_learned_at`` or ``havana_learned_at`` where the sources give one (intelligence,
a report, or a publication decades later), when a message is delivered to it, when a
``public`` act (a broadcast, a published statement) happens, or never. Version 2 events
were known to each side at once unless they said later, and are still read so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)

from models.condition_language import Requirement
from models.sides import LEARNED_FIELDS, Side
from models.washington import offset_is_washington, zone_at

# Instants excomm can place: wide enough for what was learned decades later, narrow enough
# that arithmetic on them (a day's end, a deadline) never leaves the calendar.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100


def in_washington_time(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year {value.year} is outside {EARLIEST_YEAR}-{LATEST_YEAR}")
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


WashingtonTime = Annotated[AwareDatetime, AfterValidator(in_washington_time)]

Provenance = Literal["historical", "plan", "counterfactual", "derived"]
PROVENANCES: tuple[Provenance, ...] = ("historical", "plan", "counterfactual", "derived")
# The source an analyst's move carries when it cites none.
LIVE_SOURCE = "analyst move (counterfactual)"

Outcome = Literal["negotiated_withdrawal", "military_action", "nuclear_exchange", "stalemate"]
MissileStatus = Literal["undetected", "detected", "dismantling", "removed", "attacked"]
QuarantineStatus = Literal["none", "proclaimed", "in_force", "lifted"]
JupiterStatus = Literal["deployed", "withdrawal_assured", "dismantling", "removed"]
IncidentKind = Literal[
    "ship_allowed_through",
    "ship_turned_back",
    "ship_boarded",
    "aircraft_shot_down",
    "aircraft_fired_on",
    "airspace_violated",
    "submarine_signalled",
    "submarine_surfaced",
]


def v1_provenance(data: dict[str, Any]) -> Provenance:
    """What a version 1 event was, by the only rule the engine then had: an analyst's move
    and what it brought are counterfactual, a delivery is derived, whatever carries a memo
    paragraph is the plan's, and the rest was scripted as the record."""
    if data.get("type") == "move_interjected" or LIVE_SOURCE in (data.get("sources") or ()):
        return "counterfactual"
    if data.get("type") == "message_delivered":
        return "derived"
    if data.get("step") is not None:
        return "plan"
    return "historical"


# The events of a run under the engine's rules 3 are version 3: knowledge travels by
# channels (see `known_at`). Files are written without `v`, and the engine stamps it.
KNOWLEDGE_BY_CHANNELS = 3


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: int = Field(
        default=2, ge=1, description="schema version: 2 carries provenance, 3 knowledge by channels"
    )
    seq: int = Field(default=0, ge=0, description="place on the timeline, from 1; 0 if unplaced")
    at: WashingtonTime = Field(description="the simulated instant the event happened")
    provenance: Provenance = Field(description="historical, plan, counterfactual or derived")
    learned_at: WashingtonTime | None = Field(
        default=None, description="when Washington learned of it, if later than `at`"
    )
    moscow_learned_at: WashingtonTime | None = Field(
        default=None, description="when Moscow learned of it, if later than `at`"
    )
    havana_learned_at: WashingtonTime | None = Field(
        default=None, description="when Havana learned of it, if later than `at`"
    )
    side: Side | None = Field(
        default=None, description="whose act it is: washington, moscow or havana; none for a third party"
    )
    public: bool | None = Field(
        default=None, description="a broadcast or a published statement: every side learns of it at once"
    )
    in_reply_to: tuple[str, ...] | None = Field(
        default=None,
        description="the messages this act answers (by message_id): under the engine's rules 3 it happens "
        "only once its side has received them",
    )
    actor: str = Field(min_length=1)
    summary: str = Field(min_length=1, description="what happened, in our own words")
    sources: tuple[str, ...] = Field(min_length=1, description="citations, e.g. FRUS 1961-63 v06 d65")
    uncertainty: str | None = Field(
        default=None, description="where the sources disagree on the hour or the date"
    )
    step: str | None = Field(default=None, description="the memo paragraph carried out, e.g. 5a")
    requires: Requirement | None = Field(
        default=None,
        description="what a decision or consequence depends on: without it, it does not happen",
    )

    @model_validator(mode="before")
    @classmethod
    def _upcast(cls, data: Any) -> Any:
        if isinstance(data, dict) and "provenance" not in data and data.get("v", 1) == 1:
            return {**data, "v": 2, "provenance": v1_provenance(data)}
        return data

    @model_validator(mode="after")
    def _learned_after_it_happened(self) -> _Event:
        for field in LEARNED_FIELDS.values():
            learned = getattr(self, field)
            if learned is not None and learned < self.at:
                raise ValueError(f"{field} is before at")
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


class ActionTaken(_Event):
    """An act the state does not track: forces put on alert, an envoy's journey, a ship
    sailing with its cargo."""

    type: Literal["action_taken"] = "action_taken"
    action: str = Field(min_length=1, description="what was done, in a few words")


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
    to: Side | None = Field(default=None, description="the recipient's side, which learns of it on delivery")
    arrives_at: WashingtonTime = Field(description="when it reaches the recipient")
    document: str | None = Field(default=None, description="citation of the text itself")
    terms: tuple[str, ...] = Field(default=(), description="what the message offers or asks")
    track: str | None = Field(default=None, description="the negotiation track it belongs to, if one")

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


class MissileSitesAttacked(_Event):
    """Force used on the missile sites (an air strike, an invasion): a consequence of
    military action under the engine's rules 3."""

    type: Literal["missile_sites_attacked"] = "missile_sites_attacked"


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


# --- The plan's own events (FRUS 1961-63 v11 d89); `step` names the memo paragraph. ---

ConsultationResult = Literal["agree", "refuse", "position_stated", "no_answer"]
ReplyAnswer = Literal["accept", "reject", "counter"]


class ResolveDeclared(_Event):
    type: Literal["resolve_declared"] = "resolve_declared"


class AlliedDecisionSought(_Event):
    type: Literal["allied_decision_sought"] = "allied_decision_sought"
    force: str
    members: tuple[str, ...]


class PolarisCoverageOffered(_Event):
    type: Literal["polaris_coverage_offered"] = "polaris_coverage_offered"


class IrbmPhaseOutUrged(_Event):
    type: Literal["irbm_phase_out_urged"] = "irbm_phase_out_urged"
    countries: tuple[str, ...] = Field(min_length=1)


class ConsultationOpened(_Event):
    type: Literal["consultation_opened"] = "consultation_opened"
    ally: str
    deadline: WashingtonTime


class AlliedAnswerReceived(_Event):
    type: Literal["allied_answer_received"] = "allied_answer_received"
    ally: str
    answer: Literal["agree", "refuse", "position_stated"]
    terms: tuple[str, ...] = ()


class ConsultationClosed(_Event):
    type: Literal["consultation_closed"] = "consultation_closed"
    ally: str
    result: ConsultationResult


class NegotiationsOpened(_Event):
    type: Literal["negotiations_opened"] = "negotiations_opened"
    level: str


class NegotiationLevelChanged(_Event):
    type: Literal["negotiation_level_changed"] = "negotiation_level_changed"
    level: str


class TrackOpened(_Event):
    type: Literal["track_opened"] = "track_opened"
    track: str
    title: str
    deadline: WashingtonTime


class SovietReplyReceived(_Event):
    """The Soviet side's answer on a track, at the instant it was given (sent); Washington
    learns of it when it arrives over its channel."""

    type: Literal["soviet_reply_received"] = "soviet_reply_received"
    track: str
    answer: ReplyAnswer
    terms: tuple[str, ...] = ()
    channel: str
    message_id: str | None = Field(default=None, description="the answer as a message, for replies to it")


class CounterProposalAnswered(_Event):
    type: Literal["counter_proposal_answered"] = "counter_proposal_answered"
    track: str
    accepted_terms: tuple[str, ...]
    declined_terms: tuple[str, ...]


class ConstraintBreached(_Event):
    type: Literal["constraint_breached"] = "constraint_breached"
    rule: Literal["3a", "3b"]
    ally: str
    terms: tuple[str, ...]
    cohesion_cost: float = Field(ge=0, le=1)


class TrackSettled(_Event):
    type: Literal["track_settled"] = "track_settled"
    track: str
    terms: tuple[str, ...]


class TrackClosed(_Event):
    """A track that ended without a settlement: refused, lapsed, or overtaken by force."""

    type: Literal["track_closed"] = "track_closed"
    track: str
    reason: Literal["rejected", "lapsed", "abandoned"]


class PlanDeadlinePassed(_Event):
    type: Literal["plan_deadline_passed"] = "plan_deadline_passed"
    reason: Literal["deadline", "negotiations_failed"]


class EscalationRungReached(_Event):
    type: Literal["escalation_rung_reached"] = "escalation_rung_reached"
    rung: str


class PhaseStarted(_Event):
    type: Literal["phase_started"] = "phase_started"
    phase: str
    title: str


class PhaseEnded(_Event):
    type: Literal["phase_ended"] = "phase_ended"
    phase: str


class CrisisEnded(_Event):
    """The plan's own `end` step, with the outcome it ends on."""

    type: Literal["crisis_ended"] = "crisis_ended"
    outcome: Outcome


class MoveInterjected(_Event):
    """An analyst's move, taken in at this point: from here the timeline is a counterfactual."""

    type: Literal["move_interjected"] = "move_interjected"
    move: dict[str, Any] = Field(description="the move as it was sent, with its instant")


class EventSuppressed(_Event):
    """An event or move of the script that does not happen, because what it depends on does
    not hold in this timeline: bookkeeping (derived), so that every view can say what was
    suppressed from the record and why."""

    type: Literal["event_suppressed"] = "event_suppressed"
    suppressed: str = Field(description="the type of the event, or the kind of the move")
    condition: str = Field(description="what it required, in words")
    side: Side = Field(  # required here: the side it was decided for
        description="the side whose knowledge it was decided on, whose act it would have been"
    )
    cause: Literal["requires", "premise", "refused", "taken_over"] | None = Field(
        default=None,
        description="requires: what it depended on no longer held; premise: a message it answered never "
        "reached its side; refused: the world's rules for moves did not admit it; taken_over: a plan "
        "or a behaviour acts in its place from here",
    )


class MilitaryActionOrdered(_Event):
    type: Literal["military_action_ordered"] = "military_action_ordered"
    rung: str


DomainEvent = Annotated[
    ReconnaissanceFlown
    | MissilesDetected
    | IntelligenceReported
    | MeetingHeld
    | StatementMade
    | ActionTaken
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
    | MissileSitesAttacked
    | JupiterStatusChanged
    | AccordSigned
    | ResolveDeclared
    | AlliedDecisionSought
    | PolarisCoverageOffered
    | IrbmPhaseOutUrged
    | ConsultationOpened
    | AlliedAnswerReceived
    | ConsultationClosed
    | NegotiationsOpened
    | NegotiationLevelChanged
    | TrackOpened
    | SovietReplyReceived
    | CounterProposalAnswered
    | ConstraintBreached
    | TrackSettled
    | TrackClosed
    | PlanDeadlinePassed
    | EscalationRungReached
    | MilitaryActionOrdered
    | PhaseStarted
    | PhaseEnded
    | CrisisEnded
    | MoveInterjected
    | EventSuppressed,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[DomainEvent] = TypeAdapter(DomainEvent)


# The fields an event's validity depends on `at` for (learned_at >= at, arrives_at >= at).
CHECKED_AGAINST_AT = frozenset({*LEARNED_FIELDS.values(), "arrives_at"})

EventBase = _Event  # what every event class has in common, for code generic over them


class Knowable(Protocol):
    """An event, or a move once it has its instant: something each side learns of."""

    @property
    def at(self) -> datetime | None: ...
    @property
    def learned_at(self) -> datetime | None: ...
    @property
    def moscow_learned_at(self) -> datetime | None: ...
    @property
    def havana_learned_at(self) -> datetime | None: ...


def known_at(item: Knowable, side: Side) -> datetime | None:
    """When a side learned of an event (or of a move, once placed in time); None if it did
    not, then or since.

    A version 3 event is known to its own side at once; to another side at the instant
    the event gives for it (intelligence, a report, a publication), at once if it was
    public, on delivery if it is a message to that side; else never. An earlier event
    (and a move) is known at once unless it says later, by the rules it was made under."""
    fields = item.__dict__  # read directly: this runs for every event of every view
    learned: datetime | None = fields[LEARNED_FIELDS[side]]
    if learned is not None:
        return learned
    at: datetime | None = fields["at"]
    assert at is not None, "a move is placed in time before anyone learns of it"
    if fields.get("v", 2) < KNOWLEDGE_BY_CHANNELS:
        return at
    if fields["side"] == side or fields["public"]:
        return at
    if fields.get("to") == side and fields.get("type") == "message_sent":
        arrives: datetime = fields["arrives_at"]
        return arrives
    return None


def known_by(item: Knowable, side: Side, instant: datetime) -> bool:
    """Whether a side knew of an event by an instant."""
    learned = known_at(item, side)
    return learned is not None and learned <= instant


def event_from_json(data: str | bytes) -> DomainEvent:
    """Read one stored event back, upcast to the current version (see `_Event._upcast`)."""
    return EVENT_ADAPTER.validate_json(data)


def event_to_json(event: DomainEvent) -> str:
    """The canonical serialisation of an event: stable, compact, what the store keeps."""
    return event.model_dump_json(exclude_none=True)
