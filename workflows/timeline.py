"""The timeline workflow: walks a timeline's script against a simulated 1962 clock.

The pure core (models.script, models.state) decides what happens; this shell decides
when, in wall time, according to the pace: ``instant`` jumps the simulated clock from one
scheduled instant to the next without a single server timer, ``paced`` and ``real`` wait
on durable timers. Signals pause, resume and step the clock one Washington day at a time.
Events are recorded to the event store by an activity, in batches, before every wait:
what an observer can see has always been recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.events import DomainEvent
    from models.run import EventBatch, Progress, TimelineResult, TimelineRun
    from models.script import initial_state, script
    from models.state import WorldState, apply
    from models.washington import next_midnight, washington_date

# Bounded so one activity payload stays small whatever the timeline's length.
RECORD_BATCH = 50


@workflow.defn(name="Timeline")
class TimelineWorkflow:
    @workflow.init
    def __init__(self, run: TimelineRun) -> None:
        self._run = run
        self._script: tuple[DomainEvent, ...] = script(run.timeline)
        self._events: list[DomainEvent] = []
        self._state: WorldState = initial_state(run.timeline)
        self._clock: datetime = run.timeline.starts_at
        self._paused = run.start_paused
        self._step_until: datetime | None = None
        self._unrecorded: list[DomainEvent] = []
        self._finished = False

    @workflow.run
    async def run(self, run: TimelineRun) -> TimelineResult:
        self._log("timeline started", pace=str(run.pace), events=len(self._script))
        for event in self._script:
            await self._advance_to(event.at)
            self._events.append(event)
            self._state = apply(self._state, event)
            self._unrecorded.append(event)
            if len(self._unrecorded) >= RECORD_BATCH:
                await self._record()
        await self._record()
        self._finished = True
        self._log("timeline finished", outcome=self._state.outcome)
        return TimelineResult(timeline=run.timeline.id, events=len(self._events), state=self._state)

    async def _advance_to(self, target: datetime) -> None:
        """Move the simulated clock to `target`, honouring the pace, pauses and steps."""
        while self._clock < target:
            if self._step_until is not None:
                # Stepping runs the rest of the day at once, then pauses at midnight.
                if target < self._step_until:
                    self._clock = target
                    return
                self._clock = self._step_until
                self._step_until = None
                self._log("day stepped")
                continue
            if self._paused:
                await self._record()
                self._log("paused")
                await workflow.wait_condition(lambda: not self._paused or self._step_until is not None)
                continue
            if self._run.pace.mode == "instant":
                self._clock = target
                return
            await self._wait_paced(target)

    async def _wait_paced(self, target: datetime) -> None:
        await self._record()
        started, clock_then = workflow.now(), self._clock
        try:
            await workflow.wait_condition(
                lambda: self._paused or self._step_until is not None,
                timeout=self._run.pace.real_delay(target - clock_then),
            )
        except TimeoutError:
            self._clock = target
            return
        # Interrupted by a pause or a step: the clock stands where the pace had brought it.
        elapsed = self._run.pace.simulated_span(workflow.now() - started)
        self._clock = min(target, clock_then + elapsed)

    async def _record(self) -> None:
        if not self._unrecorded:
            return
        batch = EventBatch(
            timeline_id=workflow.info().workflow_id,
            timeline=self._run.timeline.id,
            version=self._run.timeline.version,
            initial=self._run.timeline.initial,
            events=tuple(self._unrecorded),
        )
        await workflow.execute_activity(
            "record_events",
            batch,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)),
        )
        self._unrecorded = []

    def _log(self, what: str, **fields: object) -> None:
        # workflow.logger is replay-safe: it stays silent while history is replayed.
        simulated_date = washington_date(self._clock).isoformat()
        workflow.logger.info(
            what, extra={"timeline": self._run.timeline.id, "simulated_date": simulated_date, **fields}
        )

    @workflow.signal
    def pause(self) -> None:
        self._paused = True

    @workflow.signal
    def resume(self) -> None:
        self._paused = False
        self._step_until = None

    @workflow.signal
    def step_day(self) -> None:
        """While paused, run to the next Washington midnight, then pause again."""
        if not self._paused:
            workflow.logger.warning("step_day ignored: the timeline is not paused")
            return
        self._step_until = next_midnight(self._step_until or self._clock)

    @workflow.query
    def state(self) -> WorldState:
        return self._state

    @workflow.query
    def initial_state(self) -> WorldState:
        """The world before the first event, which a chronicle compares against."""
        return initial_state(self._run.timeline)

    @workflow.query
    def events(self, after_seq: int = 0) -> list[DomainEvent]:
        return [e for e in self._events if e.seq > after_seq]

    @workflow.query
    def progress(self) -> Progress:
        return Progress(
            timeline=self._run.timeline.id,
            version=self._run.timeline.version,
            pace=str(self._run.pace),
            clock=self._clock,
            paused=self._paused and self._step_until is None,
            last_seq=self._events[-1].seq if self._events else 0,
            total_events=len(self._script),
            finished=self._finished,
        )
