"""The events the engine writes itself: deliveries, suppressions, analysts' moves taken in,
and, under its rules 3, a move's arrival placed in the channels of knowledge.

They are derived (bookkeeping the engine infers) or counterfactual (an analyst's move),
never the record. Under rules 3 (version 3 events) each says whose it is and who learns
of it when: a delivery is known to its recipient as it arrives and to another side no
earlier than that side knew of the message itself; a suppression only to the side whose
act it would have been.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from models.condition_language import Condition, describe
from models.events import (
    KNOWLEDGE_BY_CHANNELS,
    LIVE_SOURCE,
    DomainEvent,
    EventSuppressed,
    MessageDelivered,
    MessageSent,
    MoveInterjected,
    SovietReplyReceived,
    known_at,
)
from models.moves import MOVE_KINDS, AlliedAnswer, Incident, Move, SovietReply, arrival_event
from models.sides import LEARNED_FIELDS, SIDES, Side
from models.trusted import construct, construct_from, replace
from models.washington import to_washington

# Channels that broadcast: whatever goes out over them is public. Over the others a
# message reaches its recipient alone.
BROADCASTS = frozenset({"radio", "radio_moscow", "public_release"})
# How long a message takes, where a timeline runs no plan to say: the memo's own figures
# (timelines/plans/memo.yaml).
TRANSIT: Mapping[str, timedelta] = {
    "cable": timedelta(hours=8),
    "radio": timedelta(minutes=10),
    "radio_moscow": timedelta(minutes=10),
    "scali_fomin": timedelta(hours=2),
    "rfk_dobrynin": timedelta(hours=1),
    "united_nations": timedelta(hours=4),
    "hotline": timedelta(minutes=5),
    "public_release": timedelta(minutes=10),
}
SUPPRESSED = "Suppressed from the record"


def delivery(message: MessageSent, seq: int, version: int = 2) -> MessageDelivered:
    """A message reaches its recipient, over its channel."""
    fields: dict[str, Any] = {
        "seq": seq,
        "at": message.arrives_at,
        "provenance": "derived",
        "actor": message.recipient,
        "summary": f"{message.recipient} received the message sent by {message.sender} over "
        f"{message.channel}.",
        "sources": message.sources,
        "uncertainty": message.uncertainty,
        "step": message.step,
        "message_id": message.message_id,
        "channel": message.channel,
    }
    if version >= KNOWLEDGE_BY_CHANNELS:
        fields.update(v=version, side=message.to, **_knowledge_of_delivery(message, message.arrives_at))
        track = message.__dict__.get("track")
        if track is not None:
            # Eight proposals reach Moscow at one instant; the track tells them apart.
            fields["summary"] = (
                f"{message.recipient} received the message sent by {message.sender} on the "
                f"{track} track over {message.channel}."
            )
    return construct_from(MessageDelivered, fields)


def _knowledge_of_delivery(message: DomainEvent, at: datetime) -> dict[str, datetime]:
    """A delivery is no news to a side before it knew of the message itself: the sender's
    side learns of it as it happens (its envoy or its embassy reports it), unless it knew of
    its own message only later (an agent's approach, reported home the next day). The
    recipient's side knows of its receiving at once, unless the message reached its capital
    only after it reached its envoy (Scali's answer, given to Fomin in Washington on the
    evening of 26 October, cabled to Moscow the next day)."""
    learned: dict[str, datetime] = {}
    for side in SIDES:
        if side == message.__dict__.get("to"):
            told = message.__dict__[LEARNED_FIELDS[side]]
            if told is not None and told > at:
                learned[LEARNED_FIELDS[side]] = told
            continue
        knew = known_at(message, side)
        if knew is not None:
            learned[LEARNED_FIELDS[side]] = max(knew, at)
    return learned


def reply_delivery(reply: SovietReplyReceived, at: datetime, seq: int) -> MessageDelivered:
    """A Soviet reply reaches Washington over its channel (rules 3)."""
    assert reply.message_id is not None
    return construct_from(
        MessageDelivered,
        {
            "v": KNOWLEDGE_BY_CHANNELS,
            "seq": seq,
            "at": at,
            "provenance": "derived",
            "side": "washington",
            "actor": "President Kennedy",
            "summary": f"Washington received the Soviet answer on the {reply.track} track over "
            f"{reply.channel}.",
            "sources": reply.sources,
            "uncertainty": reply.uncertainty,
            "message_id": reply.message_id,
            "channel": reply.channel,
            **_knowledge_of_delivery(reply, at),
        },
    )


def suppression(
    event: DomainEvent,
    what: str,
    why: Condition | str,
    side: Side,
    seq: int,
    cause: str | None = None,
    version: int = 2,
) -> EventSuppressed:
    """The record of an event or move of the script that did not happen, and why: what it
    required (a condition), or what the world's rules said of it."""
    condition = describe(why) if isinstance(why, Condition) else why
    if cause == "taken_over":
        condition = (
            f"from here a behaviour makes the {what.replace('_', ' ')} moves"
            if what in MOVE_KINDS
            else f"from here the plan acts for {side.capitalize()}"
        )
    if cause is None or cause == "requires":
        summary = f"{SUPPRESSED} (needs {condition}; not so as {side.capitalize()} knew it): "
    elif cause == "taken_over":
        summary = f"{SUPPRESSED} ({condition}): "
    else:
        summary = f"Did not happen ({condition}): "
    fields: dict[str, Any] = {}
    if version >= KNOWLEDGE_BY_CHANNELS:
        fields = {"v": version, "cause": cause or "requires"}
    return construct(
        EventSuppressed,
        seq=seq,
        at=event.at,
        provenance="derived",
        actor=event.actor,
        summary=summary + event.summary,
        sources=event.sources,
        suppressed=what,
        condition=condition,
        side=side,
        **fields,
    )


def interjection(move: Move, seq: int, version: int = 2) -> MoveInterjected:
    assert move.at is not None
    # An analyst's move is counterfactual by definition: that goes without saying in it.
    what = move.model_dump(mode="json", exclude_none=True, exclude={"provenance"})
    fields: dict[str, Any] = {}
    if version >= KNOWLEDGE_BY_CHANNELS:
        # The analyst's decision to take a move in is the analyst's: no side of 1962 knows it.
        fields = {"v": version}
    return MoveInterjected(
        seq=seq,
        at=move.at,
        provenance="counterfactual",
        actor="analyst",
        summary=f"A counterfactual move is taken in: {move.kind.replace('_', ' ')}.",
        sources=move.sources or (LIVE_SOURCE,),
        move=what,
        **fields,
    )


def placed(
    move: Move,
    seq: int,
    side: Side | None,
    transit: Mapping[str, timedelta],
    answering: tuple[str, ...] | None,
    reply_id: str | None,
) -> tuple[Move, DomainEvent]:
    """A move's arrival under rules 3, with whose act it is and who learns of it when: a
    Soviet reply is a message, which Washington learns of when it arrives over its channel;
    an ally's answer is addressed to Washington; an incident is seen by both sides' forces as
    it happens, unless the move says otherwise. Returns the move as taken (a reply with what
    it answers and its id) and its arrival event."""
    at = move.at
    assert at is not None
    extras: dict[str, Any] = {"v": KNOWLEDGE_BY_CHANNELS, "side": side}
    if type(move) is SovietReply:
        move = replace(move, in_reply_to=answering, message_id=reply_id)
        public = move.public or move.channel in BROADCASTS
        if move.learned_at is None:
            extras["learned_at"] = to_washington(at + transit.get(move.channel, TRANSIT["cable"]))
        extras.update(public=public or None, in_reply_to=answering, message_id=reply_id)
    elif type(move) is AlliedAnswer:
        if move.learned_at is None:
            extras["learned_at"] = at  # the answer is Washington's to read as it is given
    elif type(move) is Incident and side is None and not move.public:
        for other in ("washington", "moscow"):
            if getattr(move, LEARNED_FIELDS[other]) is None:
                extras[LEARNED_FIELDS[other]] = at
    return move, replace(arrival_event(move, seq), **extras)


def why_not(event: EventSuppressed) -> str:
    """Why an event of the script did not happen, in words: what it needed, as which side knew
    it; or what the world's rules said of it."""
    if event.cause in (None, "requires"):
        return f"needs {event.condition}, as {event.side.capitalize()} knew it"
    return event.condition
