"""WorldState: the world of the crisis at an instant, as a pure fold over domain events."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar, get_type_hints

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models import events as ev
from models.sides import Side
from models.timeline import InitialWorld
from models.trusted import construct, construct_from, replace

_E = TypeVar("_E", bound=ev.EventBase)


class MessageInTransit(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: str
    channel: str
    sender: str
    recipient: str
    sent_at: AwareDatetime
    arrives_at: AwareDatetime
    document: str | None = None


class Channel(BaseModel):
    """A channel of communication between the two sides, once it has been used."""

    model_config = ConfigDict(frozen=True)

    opened_at: AwareDatetime
    messages: int = 0


class WorldState(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: AwareDatetime | None = Field(default=None, description="instant of the last event folded")
    last_seq: int = 0
    defcon: dict[str, int]
    quarantine: ev.QuarantineStatus = "none"
    missiles: ev.MissileStatus = "undetected"
    jupiters: dict[str, ev.JupiterStatus]
    channels: dict[str, Channel] = Field(default_factory=dict)
    messages_in_transit: tuple[MessageInTransit, ...] = ()
    incidents: dict[str, int] = Field(default_factory=dict)
    terms_agreed: tuple[str, ...] = ()
    accords: tuple[str, ...] = ()
    allies: dict[str, str] = Field(
        default_factory=dict, description="consultation per ally: consulted, or its result"
    )
    negotiation_level: str | None = None
    tracks: dict[str, str] = Field(
        default_factory=dict, description="negotiation track -> open, settled, rejected, lapsed, abandoned"
    )
    soviet_answers: dict[str, str] = Field(
        default_factory=dict, description="track -> the Soviet side's last answer: accept, reject, counter"
    )
    plan_deadline_passed: bool = False
    escalation_rung: str | None = None
    alliance_cohesion: float = 1.0
    constraints_breached: tuple[str, ...] = ()
    counterfactual_since: int | None = Field(
        default=None, description="seq of the first analyst's move: from there, not history"
    )
    outcome: ev.Outcome | None = None

    @classmethod
    def initial(cls, world: InitialWorld) -> WorldState:
        # From a validated InitialWorld: see models.trusted. Every field counts as set, as
        # in a state read back from its JSON: a state is the whole world at an instant.
        state = construct(cls, defcon=dict(world.defcon), jupiters=dict(world.jupiters))
        object.__setattr__(state, "__pydantic_fields_set__", set(cls.model_fields))
        return state


def fold(initial: WorldState, events: Iterable[ev.DomainEvent]) -> WorldState:
    """The state after applying events, in order, to an initial state."""
    state = initial
    for event in events:
        state = apply(state, event)
    return state


def state_at(
    initial: WorldState, events: Iterable[ev.DomainEvent], instant: datetime, side: Side | None = None
) -> WorldState:
    """The state at a simulated instant: every event that had happened by then, folded; or,
    for a side, every event that side had learned of by then (the world as it knew it)."""
    if side is None:
        return fold(initial, (e for e in events if e.at <= instant))
    return fold(initial, (e for e in events if ev.known_by(e, side, instant)))


def apply(state: WorldState, event: ev.DomainEvent) -> WorldState:
    """One step of the fold: the state after a single event."""
    return replace(state, **_changes(event, state))


def apply_to_own(state: WorldState, event: ev.DomainEvent) -> None:
    """`apply`, in place, to a state that no one else holds: see `Scheduler.state`.

    The same fields as `apply` gives, written straight into the state rather than gathered
    in a dict with the instant and merged: this runs for every event of every simulated
    run. Every field of a state is set from the start (`WorldState.initial`), so there is
    no set of fields to keep up."""
    handler = _HANDLERS.get(type(event))
    fields = state.__dict__
    if handler is not None:
        fields.update(handler(event, state))
    fields["at"] = event.at
    fields["last_seq"] = event.seq


def _changes(event: ev.DomainEvent, state: WorldState) -> dict[str, object]:
    # Events such as meetings, statements and reconnaissance flights are part of the
    # record but change nothing the state tracks: they have no handler.
    handler = _HANDLERS.get(type(event))
    changes = handler(event, state) if handler is not None else {}
    changes["at"] = event.at
    changes["last_seq"] = event.seq
    return changes


_Handler = Callable[[Any, WorldState], dict[str, object]]
# By exact class: event classes are never subclassed, and a dict lookup costs a third of
# functools.singledispatch's, on a path taken for every event of every simulated run.
_HANDLERS: dict[type, _Handler] = {}


def _on(
    handler: Callable[[_E, WorldState], dict[str, object]],
) -> Callable[[_E, WorldState], dict[str, object]]:
    """Register a handler for the event class its `event` parameter is annotated with."""
    _HANDLERS[get_type_hints(handler)["event"]] = handler
    return handler


@_on
def _(event: ev.MissilesDetected, state: WorldState) -> dict[str, object]:
    return {"missiles": "detected"} if state.missiles == "undetected" else {}


@_on
def _(event: ev.DefconChanged, state: WorldState) -> dict[str, object]:
    return {"defcon": {**state.defcon, **{command: event.level for command in event.commands}}}


@_on
def _(event: ev.QuarantineProclaimed, state: WorldState) -> dict[str, object]:
    return {"quarantine": "proclaimed"}


@_on
def _(event: ev.QuarantineEnteredIntoForce, state: WorldState) -> dict[str, object]:
    return {"quarantine": "in_force"}


@_on
def _(event: ev.QuarantineLifted, state: WorldState) -> dict[str, object]:
    return {"quarantine": "lifted"}


@_on
def _(event: ev.IncidentOccurred, state: WorldState) -> dict[str, object]:
    return {"incidents": {**state.incidents, event.kind: state.incidents.get(event.kind, 0) + 1}}


# The channels used and the messages in transit are the same values in thousands of the
# members of an ensemble (a plan sends the same messages at the same instants): each is
# built once and shared, as frozen models can be. Keyed by their values (an instant is
# always in Washington's offset of its day, so equal instants are written alike), and
# bounded, as a long-lived process runs many plans.
_shared: dict[tuple[type[BaseModel], tuple[object, ...]], BaseModel] = {}
_SHARED_AT_MOST = 100_000
_Shared = TypeVar("_Shared", Channel, MessageInTransit)


def _once(cls: type[_Shared], values: tuple[object, ...]) -> _Shared:
    """The instance of `cls` with these values of its fields, in their order."""
    found = _shared.get((cls, values))
    if found is None:
        if len(_shared) >= _SHARED_AT_MOST:
            _shared.clear()
        # From a validated event's values: see models.trusted. Built only when not found.
        found = _shared[cls, values] = construct_from(cls, dict(zip(cls.model_fields, values, strict=True)))
    return found  # type: ignore[return-value]  # made of this class, for these values


@_on
def _(event: ev.MessageSent, state: WorldState) -> dict[str, object]:
    sent = event.__dict__
    name, at = sent["channel"], sent["at"]
    in_transit = _once(
        MessageInTransit,  # its fields' values, in their order
        (
            sent["message_id"],
            name,
            sent["sender"],
            sent["recipient"],
            at,
            sent["arrives_at"],
            sent["document"],
        ),
    )
    channels = state.channels
    channel = channels.get(name)
    used = _once(Channel, (at, 1) if channel is None else (channel.opened_at, channel.messages + 1))
    return {
        "channels": {**channels, name: used},
        "messages_in_transit": (*state.messages_in_transit, in_transit),
    }


@_on
def _(event: ev.MessageDelivered, state: WorldState) -> dict[str, object]:
    return {
        "messages_in_transit": tuple(m for m in state.messages_in_transit if m.message_id != event.message_id)
    }


@_on
def _(event: ev.SovietReplyReceived, state: WorldState) -> dict[str, object]:
    return {"soviet_answers": {**state.soviet_answers, event.track: event.answer}}


@_on
def _(event: ev.AgreementReached, state: WorldState) -> dict[str, object]:
    terms = state.terms_agreed + tuple(t for t in event.terms if t not in state.terms_agreed)
    changes: dict[str, object] = {"terms_agreed": terms}
    if event.outcome is not None and state.outcome is None:
        changes["outcome"] = event.outcome
    return changes


@_on
def _(event: ev.MissileDismantlingBegan, state: WorldState) -> dict[str, object]:
    return {"missiles": "dismantling"}


@_on
def _(event: ev.MissilesWithdrawn, state: WorldState) -> dict[str, object]:
    return {"missiles": "removed"}


@_on
def _(event: ev.MissileSitesAttacked, state: WorldState) -> dict[str, object]:
    return {"missiles": "attacked"}


@_on
def _(event: ev.JupiterStatusChanged, state: WorldState) -> dict[str, object]:
    return {"jupiters": {**state.jupiters, **{country: event.status for country in event.countries}}}


@_on
def _(event: ev.AccordSigned, state: WorldState) -> dict[str, object]:
    changes: dict[str, object] = {"accords": (*state.accords, event.accord)}
    if event.opens_channel and event.opens_channel not in state.channels:
        changes["channels"] = {**state.channels, event.opens_channel: Channel(opened_at=event.at)}
    return changes


@_on
def _(event: ev.ConsultationOpened, state: WorldState) -> dict[str, object]:
    return {"allies": {**state.allies, event.ally: "consulted"}}


@_on
def _(event: ev.ConsultationClosed, state: WorldState) -> dict[str, object]:
    return {"allies": {**state.allies, event.ally: event.result}}


@_on
def _(event: ev.NegotiationsOpened, state: WorldState) -> dict[str, object]:
    return {"negotiation_level": event.level}


@_on
def _(event: ev.NegotiationLevelChanged, state: WorldState) -> dict[str, object]:
    return {"negotiation_level": event.level}


@_on
def _(event: ev.TrackOpened, state: WorldState) -> dict[str, object]:
    return {"tracks": {**state.tracks, event.track: "open"}}


@_on
def _(event: ev.TrackSettled, state: WorldState) -> dict[str, object]:
    return {"tracks": {**state.tracks, event.track: "settled"}}


@_on
def _(event: ev.TrackClosed, state: WorldState) -> dict[str, object]:
    return {"tracks": {**state.tracks, event.track: event.reason}}


@_on
def _(event: ev.ConstraintBreached, state: WorldState) -> dict[str, object]:
    return {
        "alliance_cohesion": round(max(0.0, state.alliance_cohesion - event.cohesion_cost), 6),
        "constraints_breached": (*state.constraints_breached, f"{event.rule}:{event.ally}"),
    }


@_on
def _(event: ev.PlanDeadlinePassed, state: WorldState) -> dict[str, object]:
    return {"plan_deadline_passed": True}


@_on
def _(event: ev.EscalationRungReached, state: WorldState) -> dict[str, object]:
    return {"escalation_rung": event.rung}


@_on
def _(event: ev.MilitaryActionOrdered, state: WorldState) -> dict[str, object]:
    changes: dict[str, object] = {"escalation_rung": event.rung}
    if state.outcome is None:
        changes["outcome"] = "military_action"
    return changes


@_on
def _(event: ev.CrisisEnded, state: WorldState) -> dict[str, object]:
    return {"outcome": event.outcome} if state.outcome is None else {}


@_on
def _(event: ev.MoveInterjected, state: WorldState) -> dict[str, object]:
    return {"counterfactual_since": event.seq} if state.counterfactual_since is None else {}
