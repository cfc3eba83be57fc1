"""The engine: a deterministic discrete-event scheduler over a simulated 1962 clock.

Everything that happens on a timeline is a process, a generator that yields commands:
`Emit` an event now, `Sleep` until an instant, `Receive` a move from a mailbox or give up
at a deadline, run processes in `Parallel` and wait for all of them, or `Post` a token to
a mailbox to wake whoever waits there. The scheduler runs them in a single, total order:
by simulated instant, then by the order in which the wake-ups were scheduled. That order
depends on nothing but the timeline's inputs, so the same inputs give the same event log
whether the scheduler is driven by a Temporal workflow (on durable timers, with live
moves from signals) or by a plain loop on a virtual clock.

The runtime only chooses *when* to call `run_until`: it never changes what happens.

Knowledge has a time per side. A plan acts for one side (Washington, for the memo) and
sees only what that side knows: a move reaches the plan's mailbox when the side learns of
it, and `known_state` is the world as the side knew it now. The event itself is on the
record at the instant it happened.

History reacts. A scripted event or move of the record may `require` a condition on the
world as the deciding side knew it; when it comes due and the condition does not hold (the
timeline has diverged), it does not happen, and an `event_suppressed` (derived) says so.
Whatever depended on it then fails in turn, through the state.

`rules` is the version of these rules a timeline was started under, so a run started
before a rule existed goes on, and replays, as it began: under rules 1, events got their
provenance by the version 1 rule and a plan saw every event at once.
"""

from __future__ import annotations

import bisect
import heapq
from collections import deque
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from models.condition_language import Condition, Requirement, describe, failing, holds
from models.events import (
    LIVE_SOURCE,
    DomainEvent,
    EventSuppressed,
    MessageDelivered,
    MessageSent,
    MoveInterjected,
    known_at,
    v1_provenance,
)
from models.moves import Move, arrival_event, mailbox
from models.sides import Side
from models.state import WorldState, apply_to_own, fold
from models.trusted import construct, replace
from models.washington import to_washington

_EPOCH = datetime(1900, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)  # made once: a timedelta is slow to make
RULES = 2  # the engine's rules today: see the module's docstring


def delivery(message: MessageSent, seq: int) -> MessageDelivered:
    return construct(
        MessageDelivered,
        seq=seq,
        at=message.arrives_at,
        provenance="derived",
        actor=message.recipient,
        summary=f"{message.recipient} received the message sent by {message.sender} over {message.channel}.",
        sources=message.sources,
        uncertainty=message.uncertainty,
        step=message.step,
        message_id=message.message_id,
        channel=message.channel,
    )


def suppression(event: DomainEvent, what: str, failed: Condition, side: Side, seq: int) -> EventSuppressed:
    """The record of an event or move of the script that did not happen, and why."""
    condition = describe(failed)
    return construct(
        EventSuppressed,
        seq=seq,
        at=event.at,
        provenance="derived",
        actor=event.actor,
        summary=f"Suppressed from the record (needs {condition}; not so as {side.capitalize()} knew it): "
        + event.summary,
        sources=event.sources,
        suppressed=what,
        condition=condition,
        side=side,
    )


def interjection(move: Move, seq: int) -> MoveInterjected:
    assert move.at is not None
    # An analyst's move is counterfactual by definition: that goes without saying in it.
    what = move.model_dump(mode="json", exclude_none=True, exclude={"provenance"})
    return MoveInterjected(
        seq=seq,
        at=move.at,
        provenance="counterfactual",
        actor="analyst",
        summary=f"A counterfactual move is taken in: {move.kind.replace('_', ' ')}.",
        sources=move.sources or (LIVE_SOURCE,),
        move=what,
    )


@lru_cache(maxsize=8192)
def _key(instant: datetime) -> int:
    return (instant - _EPOCH) // _MICROSECOND


@dataclass(slots=True)
class Emit:
    event: DomainEvent


@dataclass(slots=True)
class Sleep:
    until: datetime


@dataclass(slots=True)
class Receive:
    """The first item to arrive in any of the mailboxes, or None at the deadline."""

    mailbox: str | tuple[str, ...]
    deadline: datetime

    @property
    def mailboxes(self) -> tuple[str, ...]:
        return (self.mailbox,) if isinstance(self.mailbox, str) else self.mailbox


@dataclass(slots=True)
class Parallel:
    processes: tuple[Process, ...]


@dataclass(slots=True)
class Post:
    mailbox: str
    token: str


Command = Emit | Sleep | Receive | Parallel | Post
Received = Move | str | None
Process = Generator[Command, Received, None]


@dataclass
class _Task:
    process: Process
    parent: _Task | None = None
    waiting_children: int = 0
    wait_id: int = 0  # bumps on every wake, so a stale deadline entry is ignored
    waiting_on: tuple[str, ...] = ()


@dataclass(slots=True)
class _Entry:
    instant: datetime
    task: _Task | None = None
    wait_id: int = 0
    value: Received = None
    move: Move | None = None
    event: DomainEvent | None = None
    sent: MessageSent | None = None  # its delivery is due: built then, numbered in place
    interjected: bool = False
    learned: bool = False  # the plan's side learns of the move now: to its mailbox


class Scheduler:
    """Runs processes and moves in simulated time; collects the events they emit."""

    def __init__(
        self, initial: WorldState, starts_at: datetime, rules: int = RULES, side: Side = "washington"
    ) -> None:
        # The clock reads in Washington time: every instant scheduled is (events and moves
        # are validated so, the plan computes its own with to_washington), and a runtime's
        # clock is converted as it comes in, so processes read `now` as it is.
        self.now = to_washington(starts_at)
        self._now_key = _key(self.now)
        self._initial = initial
        self._state = initial
        self._state_shared = True  # the caller holds the initial state
        self.rules = rules
        self.side = side  # the side the plan acts for, and whose knowledge it has
        self._log: list[DomainEvent] = []
        # Per side, the events it learns of after they happened, until it has: while there
        # are any, its view of the world is not the whole state.
        self._unknown: dict[Side, list[tuple[int, DomainEvent]]] = {"washington": [], "moscow": []}
        self._views: dict[Side, tuple[int, int, WorldState]] = {}  # (now, seq, view) last made
        self.seq = 0
        self._heap: list[tuple[int, int, int, _Entry]] = []
        self.record_interjections = True
        self._order = 0
        self._mailboxes: dict[str, deque[Move | str]] = {}
        self._waiting: dict[str, _Task] = {}
        self._out: list[DomainEvent] = []

    # --- scheduling -------------------------------------------------------------------

    def _push(self, entry: _Entry) -> None:
        self._order += 1
        # Tuples compare in C: the heap is ordered by instant, then by scheduling order;
        # an interjected move comes after everything else already due at its instant.
        late = 1 if entry.interjected else 0
        heapq.heappush(self._heap, (_key(entry.instant), late, self._order, entry))

    def start(self, process: Process, at: datetime | None = None) -> None:
        """Start a top-level process at an instant (now by default)."""
        task = _Task(process)
        self._push(_Entry(at or self.now, task))

    def schedule_move(self, move: Move) -> None:
        """A move that arrives at its own instant (which must be set)."""
        assert move.at is not None
        self._push(_Entry(move.at, move=move))

    def schedule_moves(self, moves: Iterable[Move]) -> None:
        for move in moves:
            self.schedule_move(move)

    def interject(self, move: Move) -> None:
        """An analyst's move at its instant, taken after all else due then, as it was live."""
        assert move.at is not None
        self._push(_Entry(move.at, move=move, interjected=True))

    def schedule_event(self, event: DomainEvent) -> None:
        """A scripted event, emitted at its own instant."""
        self._push(_Entry(event.at, event=event))

    def next_instant(self) -> datetime | None:
        due = self._first()
        return due[3].instant if due is not None else None

    def _first(self) -> tuple[int, int, int, _Entry] | None:
        """The first live entry of the heap, once overtaken wake-ups are dropped."""
        heap = self._heap
        while heap and self._stale(heap[0][3]):
            heapq.heappop(heap)
        return heap[0] if heap else None

    @staticmethod
    def _stale(entry: _Entry) -> bool:
        # A task's wake-up that another (a move, a deadline) has overtaken.
        return entry.task is not None and entry.wait_id != entry.task.wait_id

    def run_until(self, instant: datetime) -> list[DomainEvent]:
        """Run everything scheduled up to and including `instant`; return the new events."""
        # Instants are compared by their integer keys: aware datetimes compare slowly.
        limit = _key(instant)
        while (due := self._first()) is not None and due[0] <= limit:
            key, _, _, entry = heapq.heappop(self._heap)
            if key > self._now_key:
                self.now, self._now_key = entry.instant, key
            if entry.event is not None:
                self._happen(entry.event)
            elif entry.sent is not None:
                self.emit(delivery(entry.sent, self.seq + 1))
            elif entry.move is not None:
                if entry.learned:
                    self._deliver(mailbox(entry.move), entry.move)
                    continue
                if entry.interjected and self.record_interjections:
                    self.emit(interjection(entry.move, self.seq + 1))
                self._arrive(entry.move)
            elif entry.task is not None:
                self._step(entry.task, entry.value)
        if limit > self._now_key:
            self.now, self._now_key = to_washington(instant), limit
        out, self._out = self._out, []
        return out

    def run_to_end(self, until: Callable[[WorldState], bool] | None = None) -> list[DomainEvent]:
        """Run everything; or stop at the first instant after which `until(state)` holds."""
        events: list[DomainEvent] = []
        while (upcoming := self.next_instant()) is not None:
            events += self.run_until(upcoming)
            if until is not None and until(self.state):
                break
        return events

    # --- the world ----------------------------------------------------------------------

    @property
    def state(self) -> WorldState:
        """The world now. Whoever reads it may keep it, so the next event is folded into a
        copy; until it is read again, later events are folded into that copy in place.
        States handed out never change, and a run copies the state about once per instant
        rather than once per event."""
        self._state_shared = True
        return self._state

    def known_state(self) -> WorldState:
        """The world now as the plan's side knew it."""
        return self.view(self.side)

    def view(self, side: Side) -> WorldState:
        """The world now as a side knew it: every event it had learned of, in order."""
        unknown = self._unknown[side]
        while unknown and unknown[0][0] <= self._now_key:
            unknown.pop(0)
        if not unknown:
            return self.state
        cached = self._views.get(side)
        if cached is None or cached[:2] != (self._now_key, self.seq):
            hidden = {id(event) for _, event in unknown}
            view = fold(self._initial, (e for e in self._log if id(e) not in hidden))
            cached = self._views[side] = (self._now_key, self.seq, view)
        return cached[2]

    def _unmet(self, requirement: Requirement | None) -> Condition | None:
        """What a scripted event or move requires and does not hold as its side knows it now."""
        if requirement is None:  # and never in runs of the first rules, whose inputs say none
            return None
        view = self.view(requirement.side)
        return None if holds(requirement.if_, view) else failing(requirement.if_, view)

    def _happen(self, event: DomainEvent) -> None:
        """A scripted event comes due: it happens, unless what it depends on does not hold."""
        unmet = self._unmet(event.requires)
        if unmet is None:
            self.emit(event)
        else:
            assert event.requires is not None
            self.emit(suppression(event, event.type, unmet, event.requires.side, self.seq + 1))

    def emit(self, event: DomainEvent) -> None:
        self.seq += 1
        if self.rules < 2:
            placed = replace(event, seq=self.seq, provenance=v1_provenance(event.__dict__))
        else:
            placed = event if event.seq == self.seq else replace(event, seq=self.seq)
        if self._state_shared:
            self._state = replace(self._state)
            self._state_shared = False
        apply_to_own(self._state, placed)
        self._out.append(placed)
        self._log.append(placed)
        if self.rules >= 2 and (placed.learned_at or placed.moscow_learned_at):
            for side, unknown in self._unknown.items():
                learned = _key(known_at(placed, side))
                if learned > self._now_key:
                    bisect.insort(unknown, (learned, placed), key=lambda item: item[0])
        if isinstance(placed, MessageSent):
            # A message is delivered by itself when it arrives: the channel's transit.
            self._push(_Entry(placed.arrives_at, sent=placed))

    def _arrive(self, move: Move) -> None:
        unmet = self._unmet(move.requires)
        if unmet is not None:
            assert move.requires is not None
            self.emit(suppression(arrival_event(move), move.kind, unmet, move.requires.side, self.seq + 1))
            return
        self.emit(arrival_event(move, self.seq + 1))
        if self.rules >= 2 and _key(learned := known_at(move, self.side)) > self._now_key:
            # On the record now; in the plan's hands only once its side knows of it.
            self._push(_Entry(learned, move=move, learned=True))
        else:
            self._deliver(mailbox(move), move)

    def _deliver(self, box: str, item: Move | str) -> None:
        waiter = self._waiting.pop(box, None)
        if waiter is not None:
            self._wake(waiter, item)
        else:
            self._mailboxes.setdefault(box, deque()).append(item)

    def _wake(self, task: _Task, value: Received) -> None:
        self._stop_waiting(task)
        task.wait_id += 1
        self._push(_Entry(self.now, task, task.wait_id, value))

    def _stop_waiting(self, task: _Task) -> None:
        for box in task.waiting_on:
            if self._waiting.get(box) is task:
                del self._waiting[box]
        task.waiting_on = ()

    # --- running a process --------------------------------------------------------------

    def _step(self, task: _Task, value: Received) -> None:
        if task.waiting_on:
            self._stop_waiting(task)  # a Receive's deadline passed
        task.wait_id += 1
        send = task.process.send
        while True:
            try:
                command = send(value)
            except StopIteration:
                self._finished(task)
                return
            value = None
            if isinstance(command, Emit):
                self.emit(command.event)
            elif isinstance(command, Post):
                self._deliver(command.mailbox, command.token)
            elif isinstance(command, Sleep):
                self._push(_Entry(max(command.until, self.now), task, task.wait_id))
                return
            elif isinstance(command, Receive):
                boxes = command.mailboxes
                queued = None
                for box in boxes:
                    if queued := self._mailboxes.get(box):
                        break
                if queued:
                    value = queued.popleft()
                    continue
                task.waiting_on = boxes
                for box in boxes:
                    self._waiting[box] = task
                self._push(_Entry(max(command.deadline, self.now), task, task.wait_id))
                return
            elif isinstance(command, Parallel):
                if not command.processes:
                    continue
                task.waiting_children = len(command.processes)
                for process in command.processes:
                    self._push(_Entry(self.now, _Task(process, parent=task)))
                return

    def _finished(self, task: _Task) -> None:
        parent = task.parent
        if parent is None:
            return
        parent.waiting_children -= 1
        if parent.waiting_children == 0:
            self._push(_Entry(self.now, parent, parent.wait_id))
