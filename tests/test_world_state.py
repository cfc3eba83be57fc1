"""WorldState is a pure fold over events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import events as ev
from models.state import WorldState, fold, state_at
from models.timeline import InitialWorld

START = WorldState.initial(InitialWorld())


def _common(at: str) -> dict[str, Any]:
    return {"at": datetime.fromisoformat(at), "actor": "someone", "summary": "s", "sources": ("src",)}


def test_sac_can_stand_at_defcon_2_while_the_other_commands_stay_at_3() -> None:
    world = fold(
        START,
        [
            ev.DefconChanged(**_common("1962-10-22T19:00-04:00"), commands=("WORLDWIDE", "SAC"), level=3),
            ev.DefconChanged(**_common("1962-10-24T10:00-04:00"), commands=("SAC",), level=2),
        ],
    )
    assert world.defcon == {"SAC": 2, "WORLDWIDE": 3}


def test_the_quarantine_is_proclaimed_enters_into_force_and_is_lifted() -> None:
    history: list[ev.DomainEvent] = [
        ev.QuarantineProclaimed(**_common("1962-10-23T19:00-04:00")),
        ev.QuarantineEnteredIntoForce(**_common("1962-10-24T10:00-04:00")),
        ev.QuarantineLifted(**_common("1962-11-20T18:00-05:00")),
    ]
    seen = [fold(START, history[:n]).quarantine for n in range(4)]
    assert seen == ["none", "proclaimed", "in_force", "lifted"]


def test_a_message_is_in_transit_until_it_is_delivered() -> None:
    sent = ev.MessageSent(
        **_common("1962-10-26T09:43-04:00"),
        message_id="nsk-26",
        channel="cable",
        sender="Khrushchev",
        recipient="Kennedy",
        arrives_at=datetime.fromisoformat("1962-10-26T21:15-04:00"),
    )
    delivered = ev.MessageDelivered(**_common("1962-10-26T21:15-04:00"), message_id="nsk-26", channel="cable")
    in_transit = fold(START, [sent])
    assert [m.message_id for m in in_transit.messages_in_transit] == ["nsk-26"]
    assert in_transit.channels["cable"].messages == 1
    assert fold(START, [sent, delivered]).messages_in_transit == ()


def test_the_first_outcome_stands_and_later_terms_accumulate() -> None:
    world = fold(
        START,
        [
            ev.AgreementReached(
                **_common("1962-10-28T09:00-05:00"),
                terms=("missiles_removed",),
                outcome="negotiated_withdrawal",
            ),
            ev.AgreementReached(**_common("1962-11-20T17:00-05:00"), terms=("il28_withdrawn",)),
        ],
    )
    assert world.outcome == "negotiated_withdrawal"
    assert world.terms_agreed == ("missiles_removed", "il28_withdrawn")


def test_missiles_and_jupiters_move_through_their_stages() -> None:
    world = fold(
        START,
        [
            ev.MissilesDetected(**_common("1962-10-15T15:00-04:00"), finding="MRBMs"),
            ev.MissileDismantlingBegan(**_common("1962-10-28T12:00-05:00")),
            ev.JupiterStatusChanged(
                **_common("1962-10-27T20:00-04:00"), countries=("Turkey",), status="withdrawal_assured"
            ),
        ],
    )
    assert world.missiles == "dismantling"
    assert world.jupiters == {"Turkey": "withdrawal_assured", "Italy": "deployed"}


def test_state_at_an_instant_folds_only_what_had_happened_by_then() -> None:
    history: list[ev.DomainEvent] = [
        ev.QuarantineProclaimed(**_common("1962-10-23T19:00-04:00")),
        ev.QuarantineEnteredIntoForce(**_common("1962-10-24T10:00-04:00")),
    ]
    assert (
        state_at(START, history, datetime.fromisoformat("1962-10-24T09:59-04:00")).quarantine == "proclaimed"
    )
    assert state_at(START, history, datetime.fromisoformat("1962-10-24T10:00-04:00")).quarantine == "in_force"


def test_the_fold_never_changes_the_state_it_was_given() -> None:
    before = START.model_dump()
    fold(START, [ev.DefconChanged(**_common("1962-10-24T10:00-04:00"), commands=("SAC",), level=2)])
    assert START.model_dump() == before
