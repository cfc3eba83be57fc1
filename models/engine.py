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

Causality (rules 3). Every act answers something its actor knew: when a move comes due,
the world's rules for acts decide it (models.causality), whoever made it: a script, a
behaviour's draw (models.reactions, which the engine plays: each side reacts to what
reaches it), an analyst. A move they do not admit is recorded as refused. Knowledge
travels by channels: the events are version 3, each saying whose act it is and who learned
of it when (a Soviet reply is a message, which reaches Washington over its channel), and a
side's view holds only what reached it (models.knowledge). A scripted act that answers a
message its side never received does not happen; in a timeline that begins with the record,
the plan acts for its side from its start in place of the record's acts of that side; and
consequences follow by rules of the world (models.consequences).

`rules` is the version of these rules a timeline was started under, so a run started
before a rule existed goes on, and replays, as it began: under rules 1, events got their
provenance by the version 1 rule and a plan saw every event at once; under rules 2, a
side knew of every event at once unless it said later, a behaviour's moves were drawn
ahead into the input, and a move was admitted only when it was sent.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, get_args

from models.bookkeeping import TRANSIT, delivery, interjection, placed, reply_delivery, suppression
from models.causality import answered_message, refusal, unreceived
from models.causality import side_of as side_of_move
from models.condition_language import Condition, Requirement
from models.evaluation import failing, holds
from models.events import (
    KNOWLEDGE_BY_CHANNELS,
    AlliedAnswerReceived,
    DomainEvent,
    MessageSent,
    SovietReplyReceived,
    known_at,
    v1_provenance,
)
from models.knowledge import Knowledge, SideView, instant_key
from models.moves import Incident, Move, SovietReply, arrival_event, mailbox
from models.sides import Side
from models.state import WorldState, apply_to_own
from models.trusted import replace
from models.washington import to_washington

RULES = 3  # the engine's rules today: see the module's docstring


_key = instant_key


def _at_once(event: DomainEvent, side: Side) -> datetime:
    """Knowledge under the first rules: every side knew of every event as it happened."""
    return event.at


@dataclass(slots=True)
class Emit:
    event: DomainEvent


@dataclass(slots=True)
class Sleep:
    until: datetime


@dataclass(slots=True)
class Receive:
    """The first item to arrive in any of the mailboxes, or None at the deadline (with no
    deadline, it waits for as long as the timeline runs)."""

    mailboxes: tuple[str, ...]
    deadline: datetime | None


@dataclass(slots=True)
class Parallel:
    processes: tuple[Process, ...]


@dataclass(slots=True)
class Post:
    mailbox: str
    token: str


@dataclass(slots=True)
class Act:
    """A move a process makes now, as a behaviour draws it: taken only if the world's rules
    admit it (models.causality), else recorded as refused."""

    move: Move


# A process may yield an event itself, to emit it: the commonest command, not wrapped in
# an Emit (made and unwrapped for every event of every member).
Command = DomainEvent | Emit | Sleep | Receive | Parallel | Post | Act
Received = Move | str | None
Process = Generator[Command, Received, None]


class _Task:
    """A running process. A plain class with slots: one is made per process started."""

    __slots__ = ("parent", "process", "wait_id", "waiting_children", "waiting_on")

    def __init__(self, process: Process, parent: _Task | None = None) -> None:
        self.process = process
        self.parent = parent
        self.waiting_children = 0
        self.wait_id = 0  # bumps on every wake, so a stale deadline entry is ignored
        self.waiting_on: tuple[str, ...] = ()


# What a heap entry is due to do. An entry is a plain tuple, made and compared in C:
# (key of its instant, late, scheduling order, instant, kind, subject, wait_id, value).
# `late` puts an interjected move after everything else already due at its instant; the
# subject is a task (woken with `value` unless its wait_id has moved on since), a scripted
# event, a message sent (its delivery is due: built then, numbered in place) or a move.
_EVENT_CLASSES = frozenset(get_args(get_args(DomainEvent)[0]))  # by exact class: never subclassed
_WAKE = 0
_EVENT = 1
_SENT = 2
_MOVE = 3
_INTERJECTED = 4
_LEARNED = 5  # the plan's side learns of the move now: to its mailbox
_Item = tuple[int, int, int, datetime, int, Any, int, Received]


class Scheduler:
    """Runs processes and moves in simulated time; collects the events they emit."""

    def __init__(
        self,
        initial: WorldState,
        starts_at: datetime,
        rules: int = RULES,
        side: Side = "washington",
        transit: Mapping[str, timedelta] | None = None,
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
        # Per side, the world as it knew it, made when first asked for and kept up since.
        self._views: dict[Side, SideView] = {}
        self._knowledge: Knowledge = known_at if rules >= 2 else _at_once
        self.seq = 0
        self._heap: list[_Item] = []
        self.record_interjections = True
        self._order = 0
        self._mailboxes: dict[str, deque[Move | str]] = {}
        self._waiting: dict[str, _Task] = {}
        # Under rules 3: the version of the events written, each channel's transit, the
        # messages sent (by id, and by recipient and track), the allies that have answered,
        # who is told of each kind of event as it happens (models.reactions and
        # models.consequences listen), and the sides a behaviour plays from a fork.
        self.version = KNOWLEDGE_BY_CHANNELS if rules >= 3 else 2
        self._transit: Mapping[str, timedelta] = transit or TRANSIT
        self._messages: dict[str, DomainEvent] = {}
        self._to: dict[tuple[Side, str], list[DomainEvent]] = {}
        self._answered: set[str] = set()
        self._replies = 0
        self._listeners: dict[type, list[Callable[[DomainEvent], None]]] = {}
        self.refused = 0  # moves the world's rules did not admit
        self.players = 0  # behaviours playing on this timeline (models.reactions numbers them)
        self._played: list[tuple[datetime, frozenset[str]]] = []
        self._acting: tuple[Side, datetime] | None = None
        self._scripted: dict[type, list[DomainEvent]] = {}  # the script's events still to come

    # --- scheduling -------------------------------------------------------------------

    def _push(
        self, instant: datetime, kind: int, subject: Any, wait_id: int = 0, value: Received = None
    ) -> None:
        self._order += 1
        # Tuples compare in C: the heap is ordered by instant, then by scheduling order;
        # an interjected move comes after everything else already due at its instant.
        late = 1 if kind == _INTERJECTED else 0
        heapq.heappush(self._heap, (_key(instant), late, self._order, instant, kind, subject, wait_id, value))

    def _wake_at(self, instant: datetime, task: _Task, value: Received = None) -> None:
        """Wake a task at an instant, or now if that has passed; with its current wait_id."""
        key = _key(instant)
        if key < self._now_key:
            instant, key = self.now, self._now_key
        self._order += 1
        heapq.heappush(self._heap, (key, 0, self._order, instant, _WAKE, task, task.wait_id, value))

    def start(self, process: Process, at: datetime | None = None) -> None:
        """Start a top-level process at an instant (now by default)."""
        self._push(at or self.now, _WAKE, _Task(process))

    def schedule_move(self, move: Move) -> None:
        """A move that arrives at its own instant (which must be set)."""
        assert move.at is not None
        self._push(move.at, _MOVE, move)

    def schedule_moves(self, moves: Iterable[Move]) -> None:
        for move in moves:
            self.schedule_move(move)

    def interject(self, move: Move) -> None:
        """An analyst's move at its instant, taken after all else due then, as it was live."""
        assert move.at is not None
        self._push(move.at, _INTERJECTED, move)

    def schedule_event(self, event: DomainEvent) -> None:
        """A scripted event, emitted at its own instant."""
        self._push(event.at, _EVENT, event)
        self._scripted.setdefault(type(event), []).append(event)

    def scripted_later(self, kind: type) -> bool:
        """Whether the script holds an event of this class still to come that is not an act
        the plan has taken over: a rule of the world leaves to the timeline's own record what
        the record will do itself."""
        acting = self._acting
        return any(
            acting is None or event.side != acting[0] or event.at <= acting[1]
            for event in self._scripted.get(kind, ())
        )

    def next_instant(self) -> datetime | None:
        due = self._first()
        return due[3] if due is not None else None

    def _first(self) -> _Item | None:
        """The first live entry of the heap, once overtaken wake-ups are dropped."""
        heap = self._heap
        while heap:
            first = heap[0]
            # A task's wake-up that another (a move, a deadline) has overtaken is stale.
            if first[4] == _WAKE and first[6] != first[5].wait_id:
                heapq.heappop(heap)
                continue
            return first
        return None

    def run_until(self, instant: datetime) -> list[DomainEvent]:
        """Run everything scheduled up to and including `instant`; return the new events."""
        # Instants are compared by their integer keys: aware datetimes compare slowly.
        limit = _key(instant)
        reported = len(self._log)
        self._run(limit)
        if limit > self._now_key:
            self.now, self._now_key = to_washington(instant), limit
        return self._log[reported:]

    def run_to_end(self, until: Callable[[WorldState], bool] | None = None) -> list[DomainEvent]:
        """Run everything; or stop at the first instant after which `until(state)` holds.

        `until` is shown the state as it is, not handed it: it must not keep it, as the
        state goes on changing in place (so no copy is made per instant to ask it)."""
        reported = len(self._log)
        while (due := self._first()) is not None:
            self._run(due[0])  # the instant due, and all that comes due at it
            if until is not None and until(self._state):
                break
        return self._log[reported:]

    def _run(self, limit: int) -> None:
        """Run everything scheduled up to and including the instant of key `limit`."""
        heap = self._heap
        pop = heapq.heappop
        while heap:
            key, _, _, at, kind, subject, wait_id, value = heap[0]
            if kind == _WAKE and wait_id != subject.wait_id:
                pop(heap)  # overtaken
                continue
            if key > limit:
                break
            pop(heap)
            if key > self._now_key:
                self.now, self._now_key = at, key
            if kind == _WAKE:
                self._step(subject, value)
            elif kind == _EVENT:
                self._happen(subject)
            elif kind == _SENT:
                self.emit(delivery(subject, self.seq + 1, self.version))
            elif kind == _LEARNED:
                self._learned(subject)
            else:
                if kind == _INTERJECTED and self.record_interjections:
                    self.emit(interjection(subject, self.seq + 1, self.version))
                self._arrive(subject, scripted=kind == _MOVE)

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
        view = self._views.get(side)
        if view is None:
            view = self._views[side] = SideView(side, self._initial, self._knowledge)
        seen = view.at(self._log, self._now_key, self._state)
        if seen is self._state:
            self._state_shared = True  # handed out: the next event is folded into a copy
        return seen

    def _unmet(self, requirement: Requirement | None) -> Condition | None:
        """What a scripted event or move requires and does not hold as its side knows it now."""
        if requirement is None:  # and never in runs of the first rules, whose inputs say none
            return None
        view = self.view(requirement.side)
        return None if holds(requirement.if_, view) else failing(requirement.if_, view)

    def _happen(self, event: DomainEvent) -> None:
        """A scripted event comes due: it happens, unless what it depends on does not hold;
        under rules 3, nor if it answers a message its side had not received."""
        self._scripted[type(event)].remove(event)
        version = self.version
        if version >= KNOWLEDGE_BY_CHANNELS:
            side = event.side
            acting = self._acting
            if acting is not None and side == acting[0] and event.at > acting[1]:
                gone = suppression(event, event.type, "", acting[0], self.seq + 1, "taken_over", version)
                self.emit(gone)
                return
            if event.in_reply_to and side is not None:
                premise = unreceived(event.in_reply_to, side, self)
                if premise is not None:
                    gone = suppression(event, event.type, premise, side, self.seq + 1, "premise", version)
                    self.emit(gone)
                    return
        unmet = self._unmet(event.requires)
        if unmet is None:
            self.emit(event)
        else:
            assert event.requires is not None
            self.emit(suppression(event, event.type, unmet, event.requires.side, self.seq + 1, None, version))

    # --- under rules 3: what the rules for moves read (models.causality.World) ----------------

    def message(self, message_id: str) -> DomainEvent | None:
        return self._messages.get(message_id)

    def messages_to(self, side: Side, track: str) -> Sequence[DomainEvent]:
        return self._to.get((side, track), ())

    def answered(self, ally: str) -> bool:
        return ally in self._answered

    def post(self, box: str, token: str) -> None:
        """Put a token in a mailbox now (as a process's Post), for whoever waits there."""
        self._deliver(box, token)

    def listen(self, kind: type, listener: Callable[[DomainEvent], None]) -> None:
        """Be told of every event of this class as it is emitted."""
        self._listeners.setdefault(kind, []).append(listener)

    def act_from(self, at: datetime, side: Side) -> None:
        """A plan acts for a side from `at`, in place of the record's acts of that side."""
        self._acting = (side, at)

    def play_from(self, at: datetime, governed: frozenset[str]) -> None:
        """A behaviour plays these kinds of move from `at` (models.reactions.governed): the
        script's moves of those kinds stop there (another behaviour may take over later)."""
        self._played.append((at, governed))

    def _taken_over(self, move: Move) -> bool:
        if not self._played or move.at is None:
            return False
        kind = move.kind if type(move) is not Incident else f"incident:{move.incident}"
        return any(start < move.at and kind in kinds for start, kinds in self._played)

    def emit(self, event: DomainEvent) -> None:
        seq = self.seq = self.seq + 1
        rules = self.rules
        fields = event.__dict__  # read directly: this runs for every event
        if rules < 2:
            event = replace(event, seq=seq, provenance=v1_provenance(fields))
            fields = event.__dict__
        elif fields["seq"] != seq or fields["v"] != self.version:
            event = replace(event, seq=seq, v=self.version)
            fields = event.__dict__
        # else numbered already by whoever built it, as most are: no copy
        if self._state_shared:
            self._state = replace(self._state)
            self._state_shared = False
        apply_to_own(self._state, event)
        self._log.append(event)
        kind = type(event)  # event classes are never subclassed
        if kind is MessageSent:
            # A message is delivered by itself when it arrives: the channel's transit.
            self._push(fields["arrives_at"], _SENT, event)
        if rules >= 3:
            self._register(kind, event, fields)

    def _register(self, kind: type, event: DomainEvent, fields: dict[str, Any]) -> None:
        """Keep what the rules for moves read, and tell whoever listens."""
        if kind is MessageSent or (kind is SovietReplyReceived and fields["message_id"] is not None):
            self._messages[fields["message_id"]] = event
            to: Side | None = fields["to"] if kind is MessageSent else "washington"
            if to is not None and fields["track"] is not None:
                self._to.setdefault((to, fields["track"]), []).append(event)
        elif kind is AlliedAnswerReceived:
            self._answered.add(fields["ally"])
        for listener in self._listeners.get(kind, ()):
            listener(event)

    def _arrive(self, move: Move, drawn: bool = False, scripted: bool = False) -> None:
        version = self.version
        # A behaviour takes over the script's moves of its kinds; never an analyst's.
        if version >= KNOWLEDGE_BY_CHANNELS and scripted and self._taken_over(move):
            side = side_of_move(move) or self.side
            gone = suppression(arrival_event(move), move.kind, "", side, self.seq + 1, "taken_over", version)
            self.emit(gone)
            return
        unmet = self._unmet(move.requires)
        if unmet is not None:
            assert move.requires is not None
            self.emit(
                suppression(
                    arrival_event(move), move.kind, unmet, move.requires.side, self.seq + 1, None, version
                )
            )
            return
        if version < KNOWLEDGE_BY_CHANNELS:
            self.emit(arrival_event(move, self.seq + 1))
            learned = known_at(move, self.side)
            assert learned is not None  # a move is known at once unless it says later
            if self.rules >= 2 and _key(learned) > self._now_key:
                # On the record now; in the plan's hands only once its side knows of it.
                self._push(learned, _LEARNED, move)
            else:
                self._deliver(mailbox(move), move)
            return
        self._arrive_causally(move, drawn)

    def _arrive_causally(self, move: Move, drawn: bool) -> None:
        """Rules 3: the move is taken only if the world's rules admit it now; a reply is a
        message, which reaches the plan's side over its channel."""
        side = side_of_move(move)
        refused = refusal(move, self, drawn)
        if refused is not None:
            self.refused += 1
            who = side or self.side
            self.emit(
                suppression(
                    arrival_event(move), move.kind, refused, who, self.seq + 1, "refused", self.version
                )
            )
            return
        answering, reply_id = None, None
        if type(move) is SovietReply:
            answering = answered_message(move, self)
            self._replies += 1
            reply_id = move.message_id or f"{side or 'moscow'}-{move.track}-{self._replies}"
        taken, arrival = placed(move, self.seq + 1, side, self._transit, answering, reply_id)
        self.emit(arrival)
        learned = known_at(self._log[-1], self.side)
        if learned is None:
            return  # the plan's side never hears of it
        if _key(learned) > self._now_key:
            self._push(learned, _LEARNED, (taken, self._log[-1]))
        else:
            self._learned((taken, self._log[-1]))

    def _learned(self, subject: Move | tuple[Move, DomainEvent]) -> None:
        """The plan's side learns of a move now: a reply is delivered to it over its channel."""
        if type(subject) is tuple:
            move, arrival = subject
            if type(arrival) is SovietReplyReceived:
                self.emit(reply_delivery(arrival, self.now, self.seq + 1))
        else:
            move = subject  # type: ignore[assignment]  # rules 2: the move alone
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
        self._push(self.now, _WAKE, task, task.wait_id, value)

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
            if type(command) in _EVENT_CLASSES:
                self.emit(command)  # type: ignore[arg-type]  # one of DomainEvent's classes
            elif type(command) is Receive:  # the other commands by exact class, commonest first
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
                if command.deadline is not None:
                    self._wake_at(command.deadline, task)
                return
            elif type(command) is Post:
                self._deliver(command.mailbox, command.token)
            elif type(command) is Act:
                self._arrive(command.move, drawn=True)  # made now, at the engine's instant
            elif type(command) is Sleep:
                self._wake_at(command.until, task)
                return
            elif type(command) is Emit:
                self.emit(command.event)
            elif type(command) is Parallel:
                if not command.processes:
                    continue
                task.waiting_children = len(command.processes)
                for process in command.processes:
                    self._push(self.now, _WAKE, _Task(process, task))
                return

    def _finished(self, task: _Task) -> None:
        parent = task.parent
        if parent is None:
            return
        parent.waiting_children -= 1
        if parent.waiting_children == 0:
            self._push(self.now, _WAKE, parent, parent.wait_id)
