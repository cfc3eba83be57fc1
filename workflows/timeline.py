"""The timeline workflow: drives the engine's scheduler against a simulated 1962 clock.

The pure core (models.engine, models.memo, models.state) decides what happens; this shell
decides when, in wall time, according to the pace: ``instant`` jumps the simulated clock
from one scheduled instant to the next without a single server timer, ``paced`` and
``real`` wait on durable timers. Signals pause, resume and step the clock one Washington
day at a time. Moves from analysts arrive as a signal (`move`) or as an update with a
validator (`submit_move`) and enter the scheduler at the current simulated instant.
Events are recorded to the event store by an activity, in batches, before every wait:
what an observer can see has always been recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models import events as ev
    from models.admission import Situation, admit
    from models.clock import Hold, Reached, SimulatedClock
    from models.engine import Scheduler
    from models.moves import InvalidMove, Move
    from models.run import (
        EventBatch,
        ExchangeOpened,
        MoveReceipt,
        Progress,
        TimelineResult,
        TimelineRun,
    )
    from models.simulation import build, initial_state
    from models.state import WorldState, apply
    from models.washington import washington_date
    from workflows.exchange import AlliedConsultationWorkflow, NegotiationTrackWorkflow, PlanPhaseWorkflow

# From these engine rules on, a move is admitted by the world's rules for acts.
CAUSAL_RULES = 3
# Bounded so one activity payload stays small whatever the timeline's length.
RECORD_BATCH = 50
# What `status` keeps of refused moves: a query's answer stays small however many came.
REFUSALS_KEPT = 20
REFUSAL_CHARS = 300


def _activity(name: str, *args: Any, summary: str) -> Awaitable[Any]:
    return workflow.execute_activity(
        name,
        args=args,
        summary=summary,
        start_to_close_timeout=timedelta(seconds=10),
        retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)),
    )


@workflow.defn(name="Timeline")
class TimelineWorkflow:
    @workflow.init
    def __init__(self, run: TimelineRun) -> None:
        self._run = run
        self._world: Scheduler = build(run.timeline, run.rules)
        self._events: list[ev.DomainEvent] = []
        self._state: WorldState = initial_state(run.timeline)
        self._clock = SimulatedClock(
            run.pace,
            run.timeline.starts_at,
            run.start_paused,
            on_day_stepped=lambda: self._log("day stepped"),
        )
        self._unrecorded: list[ev.DomainEvent] = []
        self._finished = False
        self._holding = False
        self._live: list[Move] = []
        self._rejected: list[str] = []
        self._refusals = 0
        self._children: dict[str, Awaitable[Any]] = {}
        self._closed: set[str] = set()
        self._effects: list[asyncio.Future[Any]] = []

    @workflow.run
    async def run(self, run: TimelineRun) -> TimelineResult:
        self._log("timeline started", pace=str(run.pace))
        world = self._world
        # Timelines started before analysts' moves were recorded as events replay without.
        world.record_interjections = workflow.patched("record-interjections")
        try:
            while True:
                if self._live:
                    for move in self._live:
                        world.interject(move)
                    self._live = []
                target = world.next_instant()
                if target is None:
                    break
                if not await self._advance_to(target):
                    continue  # a live move came in first
                for event in world.run_until(target):
                    self._take(event)
                    if len(self._unrecorded) >= RECORD_BATCH:
                        await self._record()
        except asyncio.CancelledError:
            # Cancelled (`excomm cancel`, Ctrl-C on a replay): what happened stays on the
            # record, which says the timeline was cancelled; its children end with it.
            await self._record()
            await _activity("mark_timeline", workflow.info().workflow_id, "cancelled", summary="cancelled")
            self._log("timeline cancelled")
            raise
        await self._record()
        await asyncio.gather(*self._effects, *(self._ended(child) for child in self._children.values()))
        self._finished = True
        self._log("timeline finished", outcome=self._state.outcome)
        return TimelineResult(timeline=run.timeline.id, events=len(self._events), state=self._state)

    def _take(self, event: ev.DomainEvent) -> None:
        self._events.append(event)
        self._state = apply(self._state, event)
        self._unrecorded.append(event)
        self._mirror(event)

    # --- the simulated clock -------------------------------------------------------------

    async def _advance_to(self, target: datetime) -> bool:
        """Move the clock to `target`, honouring pace, pauses and steps (models.clock);
        False if a live move arrived first (the clock then stands where the pace had brought
        it). The clock decides; this carries it out with Temporal's conditions and timers."""
        clock = self._clock
        while clock.now < target:
            if self._live:
                return False
            decision = clock.towards(target)
            if isinstance(decision, Reached):
                return True
            await self._record()
            if isinstance(decision, Hold):
                self._log("paused")
                self._holding = True  # what observers call paused: recorded, and waiting
                await workflow.wait_condition(lambda: clock.released or bool(self._live))
                self._holding = False
                continue
            clock.waiting(workflow.now(), decision.target)
            try:
                await workflow.wait_condition(
                    lambda: clock.stopped or bool(self._live), timeout=decision.real
                )
            except TimeoutError:
                clock.arrived()
            else:
                clock.interrupted(workflow.now())
        return True

    def _current_clock(self) -> datetime:
        """The simulated instant now, between two wake-ups of a paced clock."""
        return self._clock.current(workflow.now())

    # --- effects: the event store, message delivery, the children ---------------------------

    async def _record(self) -> None:
        if not self._unrecorded:
            return
        batch = EventBatch(
            timeline_id=workflow.info().workflow_id,
            timeline=self._run.timeline.id,
            version=self._run.timeline.version,
            initial=self._run.timeline.initial,
            events=tuple(self._unrecorded),
            parent=self._run.timeline.parent,
            fork_seq=self._run.timeline.fork_seq,
            variant=self._run.timeline.variant,
            behaviour=self._run.timeline.played_by,
        )
        first, last = batch.events[0], batch.events[-1]
        await _activity("record_events", batch, summary=f"record events {first.seq}-{last.seq}")
        self._unrecorded = []

    def _mirror(self, event: ev.DomainEvent) -> None:
        """Carry out an event's effects outside the timeline (deterministically, in order)."""
        if isinstance(event, ev.MessageDelivered) and event.step is not None:
            # A message the plan sent: delivering it over its channel is an action.
            self._effects.append(
                asyncio.ensure_future(
                    _activity(
                        "deliver_message",
                        workflow.info().workflow_id,
                        event.message_id,
                        event.channel,
                        event.at,
                        summary=f"{event.step}: deliver {event.message_id} by {event.channel}",
                    )
                )
            )
        elif isinstance(event, ev.ConsultationOpened):
            self._open_child("ally", "7a", event.ally, event.at, event.deadline)
        elif isinstance(event, ev.TrackOpened):
            self._open_child("track", event.step or "6", event.track, event.at, event.deadline)
        elif isinstance(event, ev.PhaseStarted):
            self._open_child("phase", event.step or "phase", event.phase, event.at, None)
        elif isinstance(event, ev.PhaseEnded):
            self._signal_child(f"phase:{event.phase}", "close", "ended")
        elif isinstance(event, ev.SovietReplyReceived):
            self._signal_child(f"track:{event.track}", "reply", f"{event.answer}: {', '.join(event.terms)}")
        elif isinstance(event, ev.ConsultationClosed):
            self._signal_child(f"ally:{event.ally}", "close", event.result)
        elif isinstance(event, ev.TrackSettled):
            self._signal_child(f"track:{event.track}", "close", "settled")
        elif isinstance(event, ev.TrackClosed):
            self._signal_child(f"track:{event.track}", "close", event.reason)

    def _open_child(self, kind: str, step: str, party: str, at: datetime, deadline: datetime | None) -> None:
        """Start the child workflow that holds one ally's consultation, track or phase."""
        runs: dict[str, Callable[..., Awaitable[Any]]] = {
            "ally": AlliedConsultationWorkflow.run,
            "track": NegotiationTrackWorkflow.run,
            "phase": PlanPhaseWorkflow.run,
        }
        paced = self._run.pace.mode != "instant"
        delay = self._run.pace.real_delay(deadline - at) if paced and deadline is not None else None
        parent = workflow.info().workflow_id
        opened = ExchangeOpened(
            timeline_id=parent,
            party=party,
            step=step,
            opened_at=at,
            deadline=deadline,
            real_timeout_s=delay.total_seconds() if delay is not None else None,
        )
        slug = party.lower().replace(" ", "-")
        verb = {"ally": "consult", "track": "track", "phase": "phase"}[kind]
        self._children[f"{kind}:{party}"] = asyncio.ensure_future(
            workflow.start_child_workflow(
                runs[kind], opened, id=f"{parent}.{step}.{slug}", static_summary=f"{step}: {verb} {party}"
            )
        )

    def _signal_child(self, key: str, signal: str, value: str) -> None:
        opened = self._children.get(key)
        if opened is None or key in self._closed:
            # A reply before the track opened (the track reads it from its mailbox), or
            # after it closed (the move is on the record; the exchange is over).
            return
        if signal == "close":
            self._closed.add(key)

        async def send(previous: Awaitable[Any]) -> Any:
            handle = await previous
            await handle.signal(signal, value)
            return handle

        # Chained, so a child sees its replies before its close, in the timeline's order.
        self._children[key] = asyncio.ensure_future(send(opened))

    @staticmethod
    async def _ended(child: Awaitable[Any]) -> None:
        # The last signal sent, wait for the child itself to end: the timeline never
        # finishes while one of its exchanges is still open.
        handle = await child
        await handle

    # --- analysts' moves --------------------------------------------------------------------

    def _admissible(self, payload: Any, limits: bool) -> Move:
        """The move, placed in simulated time, or InvalidMove saying why it cannot be taken."""
        situation = Situation(
            plan=self._run.timeline.plan,
            state=self._world.state,
            clock=self._current_clock(),
            finished=self._finished,
            history_bytes=workflow.info().get_current_history_size(),
            limits=limits,
            world=self._world if self._run.rules >= CAUSAL_RULES else None,
        )
        return admit(payload, situation)

    @staticmethod
    def _limits() -> bool:
        # A timeline that took moves before their size was bounded replays as it ran.
        return workflow.patched("move-limits")

    @workflow.signal(name="move")
    def move(self, payload: dict[str, Any]) -> None:
        """A move from the `temporal` CLI; a bad one is refused and changes nothing."""
        try:
            self._live.append(self._admissible(payload, self._limits()))
        except InvalidMove as exc:
            self._refused(str(exc))

    def _refused(self, reason: str) -> None:
        """Keep a refusal for `status`, bounded: the reasons stay short, and the newest few."""
        shown = reason if len(reason) <= REFUSAL_CHARS else reason[: REFUSAL_CHARS - 1] + "…"
        self._refusals += 1
        self._rejected = [*self._rejected[-(REFUSALS_KEPT - 1) :], shown]
        workflow.logger.warning("move refused", extra={"reason": shown})

    @workflow.update(name="submit_move")
    def submit_move(self, payload: dict[str, Any]) -> MoveReceipt:
        try:
            move = self._admissible(payload, self._limits())
        except InvalidMove as exc:  # the validator has already refused it; never fail the task
            raise ApplicationError(str(exc), type="InvalidMove") from None
        self._live.append(move)
        assert move.at is not None
        return MoveReceipt(kind=move.kind, at=move.at)

    @submit_move.validator
    def _validate_move(self, payload: dict[str, Any]) -> None:
        # Runs before the update is accepted: a refused move never reaches history.
        try:
            self._admissible(payload, limits=True)
        except InvalidMove as exc:
            raise ApplicationError(str(exc), type="InvalidMove") from None

    # --- the educator's controls --------------------------------------------------------------

    @workflow.signal
    def pause(self) -> None:
        self._clock.pause()

    @workflow.signal
    def resume(self) -> None:
        self._clock.resume()

    @workflow.signal
    def step_day(self) -> None:
        """While paused, run to the next Washington midnight, then pause again."""
        if not self._clock.step_day():
            workflow.logger.warning("step_day ignored: the timeline is not paused")

    def _log(self, what: str, **fields: object) -> None:
        # workflow.logger is replay-safe: it stays silent while history is replayed.
        simulated_date = washington_date(self._clock.now).isoformat()
        workflow.logger.info(
            what, extra={"timeline": self._run.timeline.id, "simulated_date": simulated_date, **fields}
        )

    # --- queries ----------------------------------------------------------------------------

    @workflow.query
    def state(self) -> WorldState:
        return self._state

    @workflow.query
    def initial_state(self) -> WorldState:
        """The world before the first event, which a chronicle compares against."""
        return initial_state(self._run.timeline)

    @workflow.query
    def events(self, after_seq: int = 0) -> list[ev.DomainEvent]:
        return [e for e in self._events if e.seq > after_seq]

    @workflow.query
    def progress(self) -> Progress:
        wait = self._clock.wait
        return Progress(
            timeline=self._run.timeline.id,
            version=self._run.timeline.version,
            pace=str(self._run.pace),
            clock=self._current_clock(),
            paused=self._holding,
            last_seq=self._events[-1].seq if self._events else 0,
            finished=self._finished,
            rejected_moves=tuple(self._rejected),
            refused=self._refusals,
            clock_paused=self._clock.paused,
            variant=self._run.timeline.variant,
            behaviour=self._run.timeline.played_by,
            waiting_since=wait[0] if wait is not None else None,
            waiting_from=wait[1] if wait is not None else None,
            waiting_until=wait[2] if wait is not None else None,
        )

    @workflow.query
    def suppressed(self) -> list[ev.EventSuppressed]:
        """The events history's conditions suppressed, without the rest of the log."""
        return [e for e in self._events if isinstance(e, ev.EventSuppressed)]
