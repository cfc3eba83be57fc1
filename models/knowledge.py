"""The world as each side knew it, kept up as a timeline's log grows.

A side's view at an instant is every event it had learned of by then, folded in the order
they happened (`models.state.state_at` with a side, which every view of a finished log
uses). The engine asks for it often (a plan reads its side's view at every choice, a
behaviour and the rules for moves read theirs), so a view is folded as the log grows, not
again each time: an event its side learns of at once is folded in; one learned later
waits; one never learned is left out. Folded in the order they happened, the view is
folded afresh only when a side learns of an event after it has learned of later ones.

While a side knows every event so far, its view is the world itself, and nothing is
folded twice.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from models.events import DomainEvent
from models.sides import Side
from models.state import WorldState, apply_to_own
from models.trusted import replace

_EPOCH = datetime(1900, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)  # made once: a timedelta is slow to make
NEVER = 2**62  # the key of an instant no clock reaches

Knowledge = Callable[[DomainEvent, Side], datetime | None]


@lru_cache(maxsize=8192)
def instant_key(instant: datetime) -> int:
    """An instant as an integer (microseconds since 1900): compared in C, where aware
    datetimes compare slowly."""
    return (instant - _EPOCH) // _MICROSECOND


class SideView:
    """One side's view of one timeline."""

    __slots__ = ("_initial", "_knowledge", "_known", "_pending", "_read", "_shared", "_state", "side")

    def __init__(self, side: Side, initial: WorldState, knowledge: Knowledge) -> None:
        self.side = side
        self._initial = initial
        self._knowledge = knowledge
        self._read = 0  # how much of the log has been looked at
        self._pending: list[tuple[int, int, DomainEvent]] = []  # (learned, seq, event), learned later
        # None while the side knows every event read so far (its view is the world); else
        # the events it knows, in the order they happened, and its own state of them.
        self._known: list[DomainEvent] | None = None
        self._state: WorldState = initial
        self._shared = True

    def at(self, log: Sequence[DomainEvent], now_key: int, world: WorldState) -> WorldState:
        """The view now: `log` is the timeline's log so far, `world` its state after it.
        The state returned must not be kept past the next event (as `Scheduler.state`)."""
        read, self._read = self._read, len(log)
        newly: list[DomainEvent] = []
        for index in range(read, len(log)):
            event = log[index]
            learned = self._knowledge(event, self.side)
            key = NEVER if learned is None else instant_key(learned)
            if key <= now_key:
                if self._known is not None:
                    newly.append(event)
                continue
            if self._known is None:  # the first event it does not know yet: fold its own view
                self._known = list(log[:index])
                self._state, self._shared = self._folded(self._known), False
            if key != NEVER:
                heapq.heappush(self._pending, (key, event.__dict__["seq"], event))
        if self._known is None:
            return world
        while self._pending and self._pending[0][0] <= now_key:
            newly.append(heapq.heappop(self._pending)[2])
        if newly:
            self._take(newly)
        if not self._pending and len(self._known) == len(log):
            self._known, self._state = None, self._initial  # it knows all again
            return world
        self._shared = True
        return self._state

    def _take(self, newly: list[DomainEvent]) -> None:
        assert self._known is not None
        newly.sort(key=_seq)
        if self._known and _seq(newly[0]) < _seq(self._known[-1]):
            # Learned after later events it already knew: folded again, in order.
            self._known = sorted((*self._known, *newly), key=_seq)
            self._state, self._shared = self._folded(self._known), False
            return
        if self._shared:
            self._state, self._shared = replace(self._state), False
        for event in newly:
            apply_to_own(self._state, event)
        self._known.extend(newly)

    def _folded(self, events: Sequence[DomainEvent]) -> WorldState:
        state = replace(self._initial)
        for event in events:
            apply_to_own(state, event)
        return state


def _seq(event: DomainEvent) -> int:
    seq: int = event.__dict__["seq"]
    return seq
