"""The interpreter of the plan language: the generic kinds of step, in simulated time.

A plan is carried out as processes of the engine (models.engine): `action` emits its
event, `parallel` runs branches at once, `phase` brackets its steps, `wait` receives a move
or gives up at its deadline, `choice` takes the first case whose condition holds of the
world as the plan's side knew it, `end` ends every branch. Whatever a plan does is a plan's
action (`provenance: plan`). The memo's own kinds of step are carried out by models.memo.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from models import events as ev
from models.engine import Parallel, Process, Receive, Scheduler, Sleep
from models.evaluation import holds
from models.events import EVENT_ADAPTER, KNOWLEDGE_BY_CHANNELS
from models.move_patterns import matches, pattern_mailbox
from models.plan import PlanDefinition
from models.steps import ActionStep, ChoiceStep, EndStep, ParallelStep, PhaseStep, Step, WaitStep
from models.trusted import construct_from, replace
from models.washington import to_washington

E = TypeVar("E", bound=ev.EventBase)
US = "United States"
CLOSE = "close"  # the token that tells whoever still waits that the plan has ended


@lru_cache(maxsize=8192)
def _after(now: datetime, duration: timedelta) -> datetime:
    # Cached: the members of an ensemble ask for the same deadlines from the same instants,
    # and finding Washington's zone for an instant is dear. `now` is in Washington's fixed
    # offset already, so adding to it adds to the instant, whichever offset it is written in.
    return to_washington(now + duration)


class PlanInterpreter:
    """A plan's processes, reading the world through the scheduler that runs them. The
    generic kinds of step are carried out here; a plan language's own kinds (the memo's
    consult, negotiate, levels, escalate) by a subclass's `perform_own`."""

    sources: tuple[str, ...] = ()  # what the interpreter's own events cite

    def __init__(self, plan: PlanDefinition, world: Scheduler) -> None:
        self.plan = plan
        self.world = world
        self.deadline = plan.starts_at + plan.deadline
        self.ended = False  # an `end` step ends every branch of the plan
        # Read once: a plan's private attribute is read through pydantic's __getattr__.
        self._performed = plan.performed_actions
        # Under the engine's rules 3, the plan's events say whose act they are (its side's);
        # an act other sides see as it happens says so itself (`public`).
        self.version = world.version
        self.stamp: dict[str, object] = (
            {"v": world.version, "side": plan.side} if world.version >= KNOWLEDGE_BY_CHANNELS else {}
        )

    @property
    def now(self) -> datetime:
        return self.world.now  # in Washington time already

    def after(self, duration: timedelta) -> datetime:
        """An instant `duration` from now, in Washington time (EDT or EST as it then was)."""
        return _after(self.world.now, duration)

    def _event(self, factory: type[E], step: str | None, summary: str, **fields: object) -> ev.DomainEvent:
        # Numbered here, as the engine will number it: it is emitted at once, so no copy.
        # Built from the plan's validated values and the engine's clock: see models.trusted.
        world = self.world
        event = construct_from(
            factory,
            {
                "seq": world.seq + 1,
                "at": world.now,
                "provenance": "plan",
                "step": step,
                "actor": US,  # unless the fields name another
                "summary": summary,
                "sources": self.sources,
                **self.stamp,
                **fields,
            },
        )
        # Yielded as it is, to be emitted (see models.engine.Command).
        return event  # type: ignore[return-value]  # E is one of the DomainEvent classes

    def public(self) -> dict[str, object]:
        """The field that makes an act of the plan public, under rules 3 (none before)."""
        return {"public": True} if self.version >= KNOWLEDGE_BY_CHANNELS else {}

    # --- the interpreter ------------------------------------------------------------------

    def run(self) -> Process:
        yield Sleep(self.plan.starts_at)
        self.deadline = self.after(self.plan.deadline)
        yield from self.sequence(self.plan.steps)

    def sequence(self, steps: tuple[Step, ...]) -> Process:
        for step in steps:
            if self.ended:
                return
            if type(step) is ActionStep:  # the commonest kind: emitted here, no process of its own
                yield self.action(step)
            else:
                yield from self.perform(step)

    def perform(self, step: Step) -> Process:
        """The process that carries out a step, from now. Not itself a generator but the
        process of the kind of step: each level of `yield from` between the scheduler and
        the process that yields is resumed on every command, for every member."""
        # By the step's exact class (steps are read into these classes, never subclasses):
        # an isinstance check that fails goes through pydantic's metaclass, and the kinds
        # were tried one after another for every step of every member.
        if type(step) is ActionStep:
            return self._act(step)
        if type(step) is ParallelStep:
            return self._parallel(step)
        if type(step) is PhaseStep:
            return self.phase(step)
        if type(step) is WaitStep:
            return self.wait(step)
        if type(step) is ChoiceStep:
            return self._choose(step)
        if type(step) is EndStep:
            return self.end(step)
        return self.perform_own(step)

    def _act(self, step: ActionStep) -> Process:
        yield self.action(step)

    def _parallel(self, step: ParallelStep) -> Process:
        yield Parallel(tuple(self.sequence(branch) for branch in step.branches))

    def _choose(self, step: ChoiceStep) -> Process:
        # Chosen as the step is reached (`perform` is called then, and this runs at once).
        chosen = next(
            (case.then for case in step.when if holds(case.if_, self.world.known_state())), step.else_
        )
        return self.sequence(chosen)

    def perform_own(self, step: Step) -> Process:
        """The process of a step of the plan language's own kinds: none in the generic
        interpreter."""
        raise TypeError(f"no interpreter for step kind {step.kind!r}")

    def action(self, step: ActionStep) -> ev.DomainEvent:
        """The event an action step records, now. The designer's fields are validated the
        first time a step is performed; later the event is stamped with its instant and
        place (an ensemble performs the same steps thousands of times)."""
        seq, now = self.world.seq + 1, self.now
        performed = self._performed
        done = performed.get(step.id)
        if done is not None:
            return replace(done, seq=seq, at=now)
        event = EVENT_ADAPTER.validate_python(
            {
                "type": step.event,
                "seq": seq,
                "at": now,
                "provenance": "plan",
                "step": step.step,
                "actor": step.actor,
                "summary": step.summary,
                "sources": step.sources or self.plan.sources,
                **self.stamp,
                **step.fields,
            }
        )
        if not ev.CHECKED_AGAINST_AT.intersection(step.fields):  # else valid at this instant only
            performed[step.id] = event
        return event

    def phase(self, step: PhaseStep) -> Process:
        yield self._event(
            ev.PhaseStarted, step.step, f"Phase: {step.title}.", phase=step.id, title=step.title
        )
        yield from self.sequence(step.steps)
        yield self._event(ev.PhaseEnded, step.step, f"End of phase: {step.title}.", phase=step.id)

    def wait(self, step: WaitStep) -> Process:
        until = self.after(step.deadline)
        boxes = tuple(dict.fromkeys(pattern_mailbox(p) for p in step.for_))
        while True:
            item = yield Receive(boxes, until)
            if item is None or item == CLOSE:
                yield from self.sequence(step.timeout)
                return
            if not isinstance(item, str) and any(matches(p, item) for p in step.for_):
                yield from self.sequence(step.then)
                return

    def end(self, step: EndStep) -> Process:
        # What ends the crisis is seen by every side (force used, or the end announced).
        public = self.public()
        if step.outcome == "military_action":
            yield self._event(
                ev.MilitaryActionOrdered,
                step.step,
                step.summary,
                rung=step.rung,
                actor="President Kennedy",
                **public,
            )
        else:
            yield self._event(ev.CrisisEnded, step.step, step.summary, outcome=step.outcome, **public)
        self.ended = True
        yield from self.closing()

    def closing(self) -> Process:
        """What an `end` tells whoever still waits: nothing, in the generic interpreter."""
        return
        yield
