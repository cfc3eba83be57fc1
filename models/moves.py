"""Moves: what the world does to the plan. Soviet replies, allied answers and incidents.

A move is scripted in a timeline file (with its instant and its sources) or sent live by
an analyst, as a Temporal signal (`move`) or as an update with a validator (`submit_move`,
which `excomm signal` uses); both take the same JSON payload, for example::

    {"kind": "soviet_reply", "track": "cuba", "answer": "counter",
     "terms": ["missiles_removed_under_un_verification", "no_invasion_pledge"]}

When a move arrives it is recorded as an event and put in the mailbox of whoever waits
for it: a negotiation track for a Soviet reply, an ally's consultation for its answer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from models import events as ev
from models.condition_language import Requirement
from models.events import LIVE_SOURCE, IncidentKind, WashingtonTime
from models.sides import LEARNED_FIELDS, Side
from models.trusted import construct_from

MoveProvenance = Literal["historical", "counterfactual"]


class _Move(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    at: WashingtonTime | None = Field(default=None, description="when it happens; now if omitted")
    learned_at: WashingtonTime | None = Field(default=None, description="when Washington learned of it")
    moscow_learned_at: WashingtonTime | None = Field(default=None, description="when Moscow learned of it")
    havana_learned_at: WashingtonTime | None = Field(default=None, description="when Havana learned of it")
    side: Side | None = Field(default=None, description="whose act it is, if not the move kind's own")
    public: bool | None = Field(default=None, description="a public act: every side learns of it at once")
    in_reply_to: tuple[str, ...] | None = Field(
        default=None,
        description="the messages it answers (by message_id); for a Soviet reply, by default the last "
        "message on its track that had reached Moscow",
    )
    actor: str | None = None
    summary: str | None = None
    sources: tuple[str, ...] = ()
    uncertainty: str | None = None
    provenance: MoveProvenance = Field(
        default="counterfactual", description="historical only for a move of the record, with its sources"
    )
    requires: Requirement | None = Field(
        default=None, description="for a scripted move of the record: what the decision depends on"
    )

    @model_validator(mode="after")
    def _learned_after_it_happened(self) -> _Move:
        # As for events: the arrival event is built from these values without validation.
        if self.at is not None:
            for field in LEARNED_FIELDS.values():
                learned = getattr(self, field)
                if learned is not None and learned < self.at:
                    raise ValueError(f"{field} is before at")
        return self


class SovietReply(_Move):
    kind: Literal["soviet_reply"] = "soviet_reply"
    track: str = Field(min_length=1, description="cuba, 6a.i .. 6d, or level (the level of talks)")
    answer: ev.ReplyAnswer
    terms: tuple[str, ...] = ()
    channel: str = "cable"
    message_id: str | None = Field(
        default=None, description="the answer as a message, so that a later message can name it"
    )


class AlliedAnswer(_Move):
    kind: Literal["allied_answer"] = "allied_answer"
    ally: str = Field(min_length=1)
    answer: Literal["agree", "refuse", "position_stated"]
    terms: tuple[str, ...] = ()


class Incident(_Move):
    kind: Literal["incident"] = "incident"
    incident: IncidentKind
    subject: str = Field(min_length=1)


Move = Annotated[SovietReply | AlliedAnswer | Incident, Field(discriminator="kind")]
MOVE_ADAPTER: TypeAdapter[Move] = TypeAdapter(Move)
MOVE_KINDS = ("soviet_reply", "allied_answer", "incident")


class InvalidMove(ValueError):
    """A move that cannot be taken, with the reason in one line."""


def parse_move(payload: object) -> Move:
    """Validate an analyst's move (its JSON payload), naming the field at fault."""
    if isinstance(payload, dict) and payload.get("kind") not in MOVE_KINDS:
        kind = payload.get("kind")
        if kind is None:
            raise InvalidMove("missing field 'kind'")
        raise InvalidMove(f"unknown move kind {kind!r} (known: {', '.join(MOVE_KINDS)})")
    if isinstance(payload, dict) and payload.get("provenance", "counterfactual") != "counterfactual":
        # Only the record is historical, and the record is written in the catalogue.
        raise InvalidMove("provenance: an analyst's move is counterfactual")
    if isinstance(payload, dict) and payload.get("requires") is not None:
        raise InvalidMove("requires: an analyst's move happens; only the record's depend on the state")
    try:
        return MOVE_ADAPTER.validate_python(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"][1:]) or "payload"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            raise InvalidMove(f"missing field {where!r}") from None
        raise InvalidMove(f"{where}: {message}") from None


def mailbox(move: Move) -> str:
    # By exact class: moves are never subclassed, and an isinstance check that fails goes
    # through pydantic's metaclass (this runs for every move of every member).
    if type(move) is SovietReply:
        return f"track:{move.track}"
    if type(move) is AlliedAnswer:
        return f"ally:{move.ally}"
    return "incidents"


def arrival_event(move: Move, seq: int = 0) -> ev.DomainEvent:
    """The event that records a move's arrival (the `seq`-th event of its timeline, if
    known). `move.at` must be set by then. Built from the dict of its values, as the
    engine's events are (`trusted.construct_from`): a member's drawn moves all arrive."""
    assert move.at is not None
    common = {
        "seq": seq,
        "at": move.at,
        "provenance": move.provenance,
        "learned_at": move.learned_at,
        "moscow_learned_at": move.moscow_learned_at,
        "havana_learned_at": move.havana_learned_at,
        "public": move.public,
        "in_reply_to": move.in_reply_to,
        "sources": move.sources or (LIVE_SOURCE,),
        "uncertainty": move.uncertainty,
    }
    # By exact class, as `mailbox`.
    if type(move) is SovietReply:
        return construct_from(
            ev.SovietReplyReceived,
            {
                **common,
                "actor": move.actor or "Chairman Khrushchev",
                "summary": move.summary
                or f"The Soviet side answers on the {move.track} track: {move.answer}.",
                "track": move.track,
                "answer": move.answer,
                "terms": move.terms,
                "channel": move.channel,
            },
        )
    if type(move) is AlliedAnswer:
        return construct_from(
            ev.AlliedAnswerReceived,
            {
                **common,
                "actor": move.actor or move.ally,
                "summary": move.summary or f"{move.ally} answers the consultation: {move.answer}.",
                "ally": move.ally,
                "answer": move.answer,
                "terms": move.terms,
            },
        )
    assert isinstance(move, Incident)  # of its exact class: quick
    return construct_from(
        ev.IncidentOccurred,
        {
            **common,
            "actor": move.actor or "unknown",
            "summary": move.summary or f"Incident: {move.incident.replace('_', ' ')} ({move.subject}).",
            "kind": move.incident,
            "subject": move.subject,
        },
    )
