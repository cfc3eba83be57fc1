"""Child workflows that hold one side of an exchange: an ally consulted, a negotiation track.

The timeline decides in simulated time what each exchange comes to (so that the order of
events never depends on how real timers interleave); each child holds the wait itself,
durably, with its deadline timer, receives the replies as they come, and ends with the
result. In the web UI a timeline's children read like the memo: `7a` consultations of
each ally and forum, `6`..`6d` tracks.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.run import ExchangeOpened, ExchangeRecord


class _Exchange:
    def __init__(self) -> None:
        self._replies: list[str] = []
        self._result: str | None = None

    async def _hold(self, opened: ExchangeOpened) -> ExchangeRecord:
        deadline_reached = False
        timeout = timedelta(seconds=opened.real_timeout_s) if opened.real_timeout_s is not None else None
        try:
            await workflow.wait_condition(lambda: self._result is not None, timeout=timeout)
        except TimeoutError:
            # The deadline has come in real time; the timeline still says how it ended.
            deadline_reached = True
            await workflow.wait_condition(lambda: self._result is not None)
        assert self._result is not None
        return ExchangeRecord(
            party=opened.party,
            step=opened.step,
            result=self._result,
            replies=tuple(self._replies),
            deadline_timer_fired=deadline_reached,
        )

    @workflow.signal
    def reply(self, summary: str) -> None:
        self._replies.append(summary)

    @workflow.signal
    def close(self, result: str) -> None:
        self._result = result


@workflow.defn(name="AlliedConsultation")
class AlliedConsultationWorkflow(_Exchange):
    """7a: one ally or forum, consulted, waiting for its answer until a deadline."""

    @workflow.run
    async def run(self, opened: ExchangeOpened) -> ExchangeRecord:
        return await self._hold(opened)


@workflow.defn(name="NegotiationTrack")
class NegotiationTrackWorkflow(_Exchange):
    """6: one negotiation track, kept apart from the others, until it settles or closes."""

    @workflow.run
    async def run(self, opened: ExchangeOpened) -> ExchangeRecord:
        return await self._hold(opened)


@workflow.defn(name="PlanPhase")
class PlanPhaseWorkflow(_Exchange):
    """A `phase` of a plan: a named part of it, open until the plan has carried it out."""

    @workflow.run
    async def run(self, opened: ExchangeOpened) -> ExchangeRecord:
        return await self._hold(opened)
