"""The scripted course of a timeline: which events happen, in what order, with what seq.

A timeline file lists what the actors did; the script adds what follows from it by
itself (a message sent is delivered when it arrives) and numbers the result. The
workflow walks this script against its simulated clock; the command-line views compute
it directly. Both therefore see the same events with the same seq.
"""

from __future__ import annotations

from models.events import DomainEvent, MessageDelivered, MessageSent
from models.state import WorldState
from models.timeline import TimelineDefinition


def _delivery(message: MessageSent) -> MessageDelivered:
    return MessageDelivered(
        at=message.arrives_at,
        actor=message.recipient,
        summary=f"{message.recipient} received the message sent by {message.sender} over {message.channel}.",
        sources=message.sources,
        uncertainty=message.uncertainty,
        step=message.step,
        message_id=message.message_id,
        channel=message.channel,
    )


def script(definition: TimelineDefinition) -> tuple[DomainEvent, ...]:
    """Every event of the timeline in order, numbered from 1.

    Order is by instant; at the same instant, authored events keep their order in the
    file and come before deliveries (a reply cannot overtake the letter it answers).
    """
    keyed: list[tuple[float, int, int, DomainEvent]] = []
    for index, event in enumerate(definition.events):
        keyed.append((event.at.timestamp(), 0, index, event))
        if isinstance(event, MessageSent):
            keyed.append((event.arrives_at.timestamp(), 1, index, _delivery(event)))
    keyed.sort(key=lambda item: item[:3])
    return tuple(event.model_copy(update={"seq": seq}) for seq, (_, _, _, event) in enumerate(keyed, start=1))


def initial_state(definition: TimelineDefinition) -> WorldState:
    return WorldState.initial(definition.initial)
