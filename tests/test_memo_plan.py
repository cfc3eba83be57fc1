"""The memo's plan, paragraph by paragraph, on the time-skipping Temporal server.

Each scenario is the memo's plan meeting a set of moves. It runs as a durable timeline
(with its consultations and tracks as child workflows) and the behaviour of its paragraph
is checked on the event log; the same log must come out of the in-process engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.event_store import EventStore
from models import events as ev
from models.moves import MOVE_ADAPTER
from models.pace import INSTANT
from models.plan import PlanDefinition
from models.simulation import initial_state, simulate
from models.state import fold
from models.timeline import TimelineDefinition
from service.runs.lifecycle import start_timeline
from service.runtime.workers import build_worker
from timelines.loader import load_plan, load_timeline


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _timeline(moves: Sequence[dict[str, Any]] = (), **plan_changes: Any) -> TimelineDefinition:
    memo = load_plan("memo")
    plan = PlanDefinition.model_validate({**memo.model_dump(by_alias=True), **plan_changes})
    return TimelineDefinition(
        id="scenario",
        version=1,
        title="a scenario",
        description="the memo's plan meeting a few moves",
        starts_at=plan.starts_at,
        plan=plan,
        moves=tuple(MOVE_ADAPTER.validate_python({"sources": ["test"], **m}) for m in moves),
    )


async def _durable(
    env: WorkflowEnvironment, definition: TimelineDefinition, store: EventStore
) -> list[ev.DomainEvent]:
    queue = f"plan-{uuid.uuid4().hex[:6]}"
    async with build_worker(env.client, store, task_queue=queue):
        handle = await start_timeline(
            env.client,
            definition,
            INSTANT,
            f"s-{uuid.uuid4().hex[:8]}",
            with_search_attributes=False,
            task_queue=queue,
        )
        await handle.result()
    events = store.events(handle.id)
    # The durable run and the in-process engine agree, event for event.
    assert events == list(simulate(definition))
    return events


def _of(events: Sequence[ev.DomainEvent], kind: type[ev.DomainEvent]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


REPLY = {"kind": "soviet_reply", "track": "cuba", "channel": "cable"}
OFFER_26 = ["offensive_weapons_removed_under_un_verification", "no_invasion_pledge"]
# With every ally left to its 24 hours, the plan proposes on the Cuba track at noon on 27 Oct;
# the cable reaches Moscow at 20:00. A Soviet answer comes after that (models.causality), and
# reaches Washington eight hours after it is sent.
AFTER_THE_PROPOSAL = "1962-10-27T22:00-04:00"
# A counter-proposal sent at 22:00 reaches Washington at 05:00 EST on 28 Oct; the plan's reply
# reaches Moscow at 13:00 EST.
AFTER_THE_REPLY = "1962-10-28T15:00-05:00"


async def test_5_and_7_the_stage_is_set_then_allies_consulted_then_negotiations_opened(
    time_skipping: WorkflowEnvironment, store: EventStore
) -> None:
    events = await _durable(time_skipping, _timeline(), store)
    steps = [e.step for e in events if e.step]
    first = {step: steps.index(step) for step in ("5a", "5b", "7a", "7b")}
    assert first["5a"] < first["5b"] < first["7a"] < first["7b"]
    assert {e.step for e in _of(events, ev.TrackOpened)} >= {
        "6",
        "6a.i",
        "6a.ii",
        "6a.iii",
        "6a.iv",
        "6b",
        "6c",
        "6d",
    }


async def test_7a_a_consultation_deadline_passes_without_an_answer(
    time_skipping: WorkflowEnvironment, store: EventStore
) -> None:
    events = await _durable(time_skipping, _timeline(), store)
    closed = {e.ally: e for e in _of(events, ev.ConsultationClosed)}
    assert closed["Greece"].result == "no_answer"
    assert closed["Greece"].at == _at("1962-10-27T12:00-04:00")  # opened 26 Oct 12:00, 24h to answer
    (opened,) = _of(events, ev.NegotiationsOpened)
    assert opened.at == closed["Greece"].at and opened.seq > closed["Greece"].seq


async def test_7a_an_ally_refusing_closes_its_consultation_early(
    time_skipping: WorkflowEnvironment, store: EventStore
) -> None:
    refusal = {"kind": "allied_answer", "ally": "Turkey", "answer": "refuse", "at": "1962-10-26T15:00-04:00"}
    events = await _durable(time_skipping, _timeline([refusal]), store)
    closed = {e.ally: e for e in _of(events, ev.ConsultationClosed)}
    assert closed["Turkey"].result == "refuse"
    assert closed["Turkey"].at == _at("1962-10-26T15:00-04:00")


async def test_3b_a_counter_proposal_asking_for_the_jupiters_is_answered_without_them(
    time_skipping: WorkflowEnvironment, store: EventStore
) -> None:
    moves: list[dict[str, Any]] = [
        {
            **REPLY,
            "answer": "counter",
            "terms": [*OFFER_26, "jupiters_withdrawn_from_turkey"],
            "at": AFTER_THE_PROPOSAL,
        },
        {**REPLY, "answer": "accept", "at": AFTER_THE_REPLY},
    ]
    events = await _durable(time_skipping, _timeline(moves), store)
    (answer,) = _of(events, ev.CounterProposalAnswered)
    assert answer.step == "3b"
    assert answer.declined_terms == ("jupiters_withdrawn_from_turkey",)
    (deal,) = [e for e in _of(events, ev.AgreementReached) if e.outcome]
    assert deal.outcome == "negotiated_withdrawal"
    assert "jupiters_withdrawn_from_turkey" not in deal.terms
    assert _of(events, ev.ConstraintBreached) == []


async def test_3a_3b_trading_an_unconsulted_allys_interest_costs_cohesion(
    time_skipping: WorkflowEnvironment, store: EventStore
) -> None:
    memo = load_plan("memo")
    moves: list[dict[str, Any]] = [
        {
            **REPLY,
            "answer": "counter",
            "terms": [*OFFER_26, "jupiters_withdrawn_from_turkey"],
            "at": AFTER_THE_PROPOSAL,
        },
        {**REPLY, "answer": "accept", "at": AFTER_THE_REPLY},
    ]
    steps = memo.model_dump(by_alias=True)["steps"]
    consult = next(step for step in steps if step["id"] == "consult-allies")
    consult["branches"] = [b for b in consult["branches"] if b[0]["ally"] != "Turkey"]  # Turkey never asked
    definition = _timeline(moves, trade_allied_interests=True, steps=steps)
    events = await _durable(time_skipping, definition, store)
    breaches = {(e.rule, e.ally) for e in _of(events, ev.ConstraintBreached)}
    assert breaches == {("3a", "Turkey"), ("3b", "Turkey")}
    world = fold(initial_state(definition), events)
    assert world.alliance_cohesion == 0.5
    assert world.outcome == "negotiated_withdrawal"


async def test_6_a_message_takes_its_channels_time_in_transit(
    time_skipping: WorkflowEnvironment, store: EventStore
) -> None:
    events = await _durable(time_skipping, _timeline(), store)
    proposal = next(e for e in _of(events, ev.MessageSent) if e.step == "6")
    delivered = next(e for e in _of(events, ev.MessageDelivered) if e.message_id == proposal.message_id)
    assert delivered.at - proposal.at == load_plan("memo").transit["cable"]  # 8 h by cable
    # A hotline already in place in October 1962 is a change of one parameter.
    fast = _timeline(transit={**{k: "8h" for k in load_plan("memo").transit}, "cable": "5m"})
    hotline = simulate(fast)
    proposal = next(e for e in _of(hotline, ev.MessageSent) if e.step == "6")
    delivered = next(e for e in _of(hotline, ev.MessageDelivered) if e.message_id == proposal.message_id)
    assert (delivered.at - proposal.at).total_seconds() == 300


async def test_1b_2b_with_no_moves_the_plan_escalates_after_its_deadline_to_military_action(
    time_skipping: WorkflowEnvironment, store: EventStore
) -> None:
    events = await _durable(time_skipping, _timeline(), store)
    (passed,) = _of(events, ev.PlanDeadlinePassed)
    assert (passed.step, passed.reason) == ("1b", "deadline")
    assert passed.at == _at("1962-10-29T11:00-05:00")  # 72 h after 26 Oct 12:00 EDT, across the clock change
    rungs = [
        (e.rung, e.step) for e in events if isinstance(e, ev.EscalationRungReached | ev.MilitaryActionOrdered)
    ]
    assert rungs == [
        ("tightened_quarantine", "2b"),
        ("pol_embargo", "2b"),
        ("air_strike", "2b"),
        ("invasion", "2b"),
    ]
    assert {e.reason for e in _of(events, ev.TrackClosed)} == {"abandoned"}
    assert next(e for e in events if isinstance(e, ev.MilitaryActionOrdered)).at == _at(
        "1962-10-31T11:00-05:00"
    )


async def test_1_pressure_and_diplomacy_coexist_an_acceptance_under_pressure_stops_the_ladder(
    time_skipping: WorkflowEnvironment, store: EventStore
) -> None:
    events = await _durable(
        time_skipping, _timeline([{**REPLY, "answer": "accept", "at": "1962-10-30T15:00-05:00"}]), store
    )
    assert [e.rung for e in _of(events, ev.EscalationRungReached)] == ["tightened_quarantine", "pol_embargo"]
    assert _of(events, ev.MilitaryActionOrdered) == []
    (deal,) = [e for e in _of(events, ev.AgreementReached) if e.outcome]
    assert deal.outcome == "negotiated_withdrawal"


async def test_1b_a_rejection_on_the_cuba_track_escalates_at_once(
    time_skipping: WorkflowEnvironment, store: EventStore
) -> None:
    events = await _durable(
        time_skipping, _timeline([{**REPLY, "answer": "reject", "at": AFTER_THE_PROPOSAL}]), store
    )
    (passed,) = _of(events, ev.PlanDeadlinePassed)
    # At once when Washington has the refusal: eight hours by cable after Moscow sent it.
    assert (passed.reason, passed.at) == ("negotiations_failed", _at("1962-10-28T05:00-05:00"))
    assert {e.track: e.reason for e in _of(events, ev.TrackClosed)}["cuba"] == "rejected"


@pytest.mark.parametrize("level_reply", ["1962-10-27T13:00-04:00"])
async def test_4_a_refused_summit_falls_back_to_foreign_ministers(
    time_skipping: WorkflowEnvironment, store: EventStore, level_reply: str
) -> None:
    move = {"kind": "soviet_reply", "track": "level", "answer": "reject", "at": level_reply}
    events = await _durable(time_skipping, _timeline([move]), store)
    (changed,) = _of(events, ev.NegotiationLevelChanged)
    assert (changed.level, changed.step) == ("foreign_ministers", "4")


async def test_the_memo_in_1962_settles_by_moscows_answers_to_the_plan_and_keeps_the_record_apart(
    time_skipping: WorkflowEnvironment, store: EventStore
) -> None:
    events = await _durable(time_skipping, load_timeline("memo-1962"), store)
    first = {}
    for event in events:
        if event.step and event.step not in first:
            first[event.step] = event.seq
    assert max(first["5a"], first["5b"]) < first["7a"] < first["7b"]
    (deal,) = [e for e in _of(events, ev.AgreementReached) if e.outcome]
    assert (deal.outcome, deal.provenance) == ("negotiated_withdrawal", "plan")
    # Moscow answers the plan's own messages, each after it reached Moscow, and says it is
    # counterfactual: the record's letters answered Kennedy's, never the plan's.
    sent = {e.message_id: e for e in _of(events, ev.MessageSent) if e.provenance == "plan"}
    delivered = {e.message_id: e.at for e in _of(events, ev.MessageDelivered)}
    answers = [e for e in _of(events, ev.SovietReplyReceived) if set(e.in_reply_to or ()) & sent.keys()]
    assert [e.answer for e in answers] == ["counter", "accept"]
    assert {e.provenance for e in answers} == {"counterfactual"}
    for answer in answers:
        assert all(delivered[m] <= answer.at for m in answer.in_reply_to or ())
    assert not [e for e in events if e.provenance == "historical" and set(e.in_reply_to or ()) & sent.keys()]
    # The record's acceptance of 28 Oct answered a letter the plan never wrote: it does not happen.
    gone = [e for e in _of(events, ev.EventSuppressed) if e.suppressed == "agreement_reached"]
    assert gone and "jfk-1962-10-27, which was never sent in this timeline" in gone[0].condition
    # From noon on 26 Oct the plan acts for Washington: the record's Washington acts stop there.
    taken = [e for e in _of(events, ev.EventSuppressed) if e.cause == "taken_over"]
    assert taken and all(e.side == "washington" and e.at > _at("1962-10-26T12:00-04:00") for e in taken)
    # Consequences follow the settlement: the missiles leave.
    world = fold(initial_state(load_timeline("memo-1962")), events)
    assert (world.outcome, world.missiles) == ("negotiated_withdrawal", "removed")
