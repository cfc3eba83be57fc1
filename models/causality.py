"""Causality, the rule of the world every act obeys, whoever makes it.

A variant's script, a behaviour's draw, an analyst's signal or branch and a class's move
are all decided here when they come due (models.engine, under its rules 3), and checked
here before they are taken in (models.admission): every act answers something its actor
knew. So:

- a reply names what it answers (`in_reply_to`) and comes no earlier than the instant its
  side received it: a message is received on its delivery, over its channel;
- a Soviet reply names by default the last message on its track that had reached Moscow;
  with none, there is nothing to answer;
- the Soviet side answers a track once it knows talks are open on it, and not again once it
  has accepted or rejected on it, nor once it knew the crisis ended (in force or settled);
- an ally answers a consultation only while it is open, and once;
- a drawn incident happens only while the crisis is unresolved (as its side knew it).

Whatever fails is said in one line; the engine records it as refused (an
`event_suppressed` with cause `refused`), and admission refuses it outright.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from models.events import AlliedAnswerReceived, DomainEvent, MessageSent, SovietReplyReceived, known_at
from models.moves import AlliedAnswer, Incident, Move, SovietReply
from models.sides import Side
from models.state import WorldState, fold, state_at
from models.washington import written

# The side whose act each kind of move is, unless the move says.
MOVE_SIDES: dict[str, Side | None] = {"soviet_reply": "moscow", "allied_answer": None, "incident": None}
LEVEL = "level"  # the track of the level of talks (4): a reply on it answers their opening


class World(Protocol):
    """What the rules read: the instant, each side's view, and the messages sent so far."""

    @property
    def now(self) -> datetime: ...

    @property
    def state(self) -> WorldState: ...

    def view(self, side: Side) -> WorldState: ...

    def message(self, message_id: str) -> DomainEvent | None: ...

    def messages_to(self, side: Side, track: str) -> Sequence[DomainEvent]: ...

    def answered(self, ally: str) -> bool: ...


def side_of(move: Move) -> Side | None:
    return move.side if move.side is not None else MOVE_SIDES[move.kind]


def _name(side: Side) -> str:
    return side.capitalize()


def unreceived(
    in_reply_to: Sequence[str], side: Side, world: World, at: datetime | None = None
) -> str | None:
    """Why a side cannot answer these messages at `at` (now by default): one never sent, or
    not received by it by then; or None."""
    when = at or world.now
    for message_id in in_reply_to:
        message = world.message(message_id)
        if message is None:
            return f"it answers {message_id}, which was never sent in this timeline"
        received = known_at(message, side)
        if received is None:
            return f"it answers {message_id}, which {_name(side)} never received"
        if received > when:
            return f"it answers {message_id}, which reaches {_name(side)} only at {written(received)}"
    return None


def answered_message(move: SovietReply, world: World) -> tuple[str, ...] | None:
    """What a Soviet reply answers: the messages it names, or else the last on its track
    that had reached Moscow by the reply's instant; None if nothing had."""
    if move.in_reply_to:
        return move.in_reply_to
    side = side_of(move) or "moscow"
    when = move.at or world.now
    received = [
        m
        for m in world.messages_to(side, move.track)
        if (learned := known_at(m, side)) is not None and learned <= when
    ]
    if not received:
        return None
    last: str = received[-1].__dict__["message_id"]
    return (last,)


def refusal(move: Move, world: World, drawn: bool = False) -> str | None:
    """Why the world does not admit a move now (one line), or None. `drawn`: the move is a
    behaviour's, which keeps to the crisis it models."""
    side = side_of(move)
    if type(move) is SovietReply:
        return _reply_refusal(move, side or "moscow", world)
    if type(move) is AlliedAnswer:
        status = world.state.allies.get(move.ally)
        if status != "consulted":
            why = "it was never opened" if status is None else f"it is closed ({status.replace('_', ' ')})"
            return f"the consultation with {move.ally} is not open: {why}"
        if world.answered(move.ally):
            return f"{move.ally} has answered the consultation already"
    if move.in_reply_to and side is not None:
        return unreceived(move.in_reply_to, side, world, move.at)
    if type(move) is Incident and drawn:
        known = world.view(side) if side is not None else world.state
        if known.outcome is not None:
            knew = f", as {_name(side)} knew it" if side is not None else ""
            return f"the crisis has ended ({known.outcome.replace('_', ' ')}){knew}"
    return None


def _reply_refusal(move: SovietReply, side: Side, world: World) -> str | None:
    known = world.view(side)
    if known.outcome is not None:
        return f"the crisis has ended ({known.outcome.replace('_', ' ')}), as {_name(side)} knew it"
    given = known.soviet_answers.get(move.track)
    if given in ("accept", "reject"):
        done = "accepted" if given == "accept" else "rejected"
        return f"the {move.track} track: {_name(side)} has {done} on it already"
    if move.track == LEVEL:
        if known.negotiation_level is None:
            return f"no talks had been opened with {_name(side)} to answer"
        return unreceived(move.in_reply_to or (), side, world, move.at)
    answering = answered_message(move, world)
    if answering is None:
        return f"no message on the {move.track} track had reached {_name(side)}"
    return unreceived(answering, side, world, move.at)


class LogWorld:
    """The world as a log leaves it at an instant, for the rules to read where no engine
    runs: a branch's moves are admitted at its fork by the same rules as at run time."""

    def __init__(self, initial: WorldState, events: Sequence[DomainEvent], now: datetime) -> None:
        self._initial = initial
        self._events = [e for e in events if e.at <= now]
        self.now = now
        self.state = fold(initial, self._events)
        self._messages: dict[str, DomainEvent] = {}
        self._to: dict[tuple[Side, str], list[DomainEvent]] = {}
        self._answered: set[str] = set()
        for event in self._events:
            if isinstance(event, MessageSent):
                self._messages[event.message_id] = event
                if event.to is not None and event.track is not None:
                    self._to.setdefault((event.to, event.track), []).append(event)
            elif isinstance(event, SovietReplyReceived) and event.message_id is not None:
                self._messages[event.message_id] = event
                self._to.setdefault(("washington", event.track), []).append(event)
            elif isinstance(event, AlliedAnswerReceived):
                self._answered.add(event.ally)

    def view(self, side: Side) -> WorldState:
        return state_at(self._initial, self._events, self.now, side)

    def message(self, message_id: str) -> DomainEvent | None:
        return self._messages.get(message_id)

    def messages_to(self, side: Side, track: str) -> Sequence[DomainEvent]:
        return self._to.get((side, track), ())

    def answered(self, ally: str) -> bool:
        return ally in self._answered
