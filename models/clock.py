"""The simulated clock of a timeline, as a state machine: pace, pause, resume, step a day.

Pure, so that what the educator's controls do to simulated time is decided here and tested
without a server; the workflow only carries out what it says, with Temporal's timers and
signals. Asked to go `towards` the next instant something is due, the clock answers:

- `Reached`: it stands there now (instant pace, or the rest of a stepped day);
- `Hold`: it is paused, and waits for a control (resume, a step, a live move);
- `Wait`: at a paced rate it must wait this long in real time, unless interrupted first.

A paced wait that is interrupted (by a pause, a step or a live move) leaves the clock where
the pace had brought it by then (`interrupted`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.pace import Pace
from models.washington import next_midnight, to_washington


@dataclass(frozen=True)
class Reached:
    pass


@dataclass(frozen=True)
class Hold:
    pass


@dataclass(frozen=True)
class Wait:
    real: timedelta  # how long to wait in real time for the simulated clock to get there
    target: datetime


Decision = Reached | Hold | Wait


class SimulatedClock:
    def __init__(
        self, pace: Pace, start: datetime, paused: bool, on_day_stepped: Callable[[], None] = lambda: None
    ) -> None:
        self.pace = pace
        self.now = start
        self.paused = paused
        self.step_until: datetime | None = None
        self._on_day_stepped = on_day_stepped
        self._waiting: tuple[datetime, datetime, datetime] | None = None  # real start, clock, target

    # --- the educator's controls -----------------------------------------------------------

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self.step_until = None

    def step_day(self) -> bool:
        """While paused, run to the next Washington midnight, then pause again. False (and
        nothing changes) if the clock is not paused."""
        if not self.paused:
            return False
        self.step_until = next_midnight(self.step_until or self.now)
        return True

    @property
    def released(self) -> bool:
        """Whether a control lets a held clock go on (resumed, or a day to step)."""
        return not self.paused or self.step_until is not None

    @property
    def stopped(self) -> bool:
        """Whether a control has stopped a paced wait (paused, or a day to step)."""
        return self.paused or self.step_until is not None

    # --- going towards the next instant ----------------------------------------------------

    def towards(self, target: datetime) -> Decision:
        while self.now < target:
            if self.step_until is not None:
                # Stepping runs the rest of the day at once, then pauses at midnight.
                if target < self.step_until:
                    self.now = target
                    return Reached()
                self.now, self.step_until = self.step_until, None
                self._on_day_stepped()
                continue
            if self.paused:
                return Hold()
            if self.pace.mode == "instant":
                self.now = target
                return Reached()
            return Wait(self.pace.real_delay(target - self.now), target)
        return Reached()

    def waiting(self, real_now: datetime, target: datetime) -> None:
        """A paced wait towards `target` begins at `real_now`."""
        self._waiting = (real_now, self.now, target)

    def arrived(self) -> None:
        """The paced wait ran its full time: the clock is at its target."""
        assert self._waiting is not None
        self.now, self._waiting = self._waiting[2], None

    def interrupted(self, real_now: datetime) -> None:
        """The paced wait was cut short: the clock stands where the pace had brought it."""
        self.now, self._waiting = self.current(real_now), None

    @property
    def wait(self) -> tuple[datetime, datetime, datetime] | None:
        """The paced wait under way, if any: when it began (real), the simulated clock then,
        and the simulated instant it runs to. An observer with a real clock of its own can
        tell the simulated now from it (the workflow's `now` stands still between tasks)."""
        return self._waiting

    def current(self, real_now: datetime) -> datetime:
        """The simulated instant now, between two wake-ups of a paced clock."""
        if self._waiting is None:
            return self.now
        started, clock, target = self._waiting
        return to_washington(min(target, clock + self.pace.simulated_span(real_now - started)))
