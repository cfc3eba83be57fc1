"""Every event says what kind of statement it is: the record, a plan, a counterfactual, or derived."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.bookkeeping import interjection
from models.events import PROVENANCES, event_from_json
from models.moves import InvalidMove, parse_move
from models.simulation import simulate
from models.timeline import TimelineDefinition
from timelines.loader import catalogue_names, load_timeline, load_timeline_file
from timelines.safe_yaml import FileProblems

SCRIPT = """
id: provenance-fixture
version: 1
title: provenance fixture
description: a scripted event and a message, each saying or inheriting what it is
starts_at: 1962-10-26T00:00-04:00
{default}
events:
  - type: message_sent
    at: 1962-10-26T09:43-04:00
    actor: Chairman Khrushchev
    message_id: nsk-1962-10-26
    channel: cable
    sender: Chairman Khrushchev
    recipient: President Kennedy
    arrives_at: 1962-10-26T21:15-04:00
    summary: Khrushchev's private letter.
    sources: [FRUS 1961-63 v06 d65]
  - type: statement_made
    at: 1962-10-27T09:00-04:00
    actor: an invented spokesman
    medium: radio
    summary: A statement no one made.
    sources: [FRUS 1961-63 v06 d65]
    provenance: counterfactual
"""


BOARDING = {"kind": "incident", "incident": "ship_boarded", "subject": "Vinnitsa"}
COMMON = '"v": 1, "seq": 4, "at": "1962-10-27T10:00:00-04:00", "actor": "a", "summary": "s"'


def _fixture(tmp_path: Path, default: str = "") -> TimelineDefinition:
    path = tmp_path / "fixture.yaml"
    path.write_text(SCRIPT.format(default=default))
    return load_timeline_file(path)


@pytest.mark.parametrize("name", catalogue_names())
def test_every_event_of_every_shipped_timeline_says_what_kind_of_statement_it_is(name: str) -> None:
    for event in simulate(load_timeline(name)):
        assert event.provenance in PROVENANCES
        if event.type == "message_delivered":
            assert event.provenance == "derived", event
        elif event.step is not None and event.type not in ("soviet_reply_received", "allied_answer_received"):
            assert event.provenance == "plan", event


def test_a_timeline_file_is_counterfactual_unless_it_says_it_is_the_record(tmp_path: Path) -> None:
    unsaid = simulate(_fixture(tmp_path))
    assert [e.provenance for e in unsaid] == ["counterfactual", "derived", "counterfactual"]
    record = _fixture(tmp_path, "provenance: historical")
    # The file's own word holds for each event that says nothing; one that says, says.
    assert [e.provenance for e in simulate(record)] == ["historical", "derived", "counterfactual"]
    assert not record.is_record  # one invented statement is enough


def test_a_file_may_only_say_historical_or_counterfactual(tmp_path: Path) -> None:
    with pytest.raises(FileProblems, match=r"fixture.yaml:7:\d+: E-INVALID provenance"):
        _fixture(tmp_path, "provenance: derived")


def test_a_delivery_is_derived_from_its_message_not_a_second_record_of_the_act(tmp_path: Path) -> None:
    sent, delivered, _ = simulate(_fixture(tmp_path, "provenance: historical"))
    assert (sent.type, sent.provenance) == ("message_sent", "historical")
    assert (delivered.type, delivered.provenance) == ("message_delivered", "derived")


def test_the_plans_actions_are_plans_and_the_seeded_draws_counterfactual() -> None:
    events = simulate(load_timeline("memo-uncertain", seed=7))
    kinds = {e.provenance for e in events}
    assert "historical" not in kinds
    assert {e.provenance for e in events if e.type == "resolve_declared"} == {"plan"}
    drawn = [e for e in events if e.type in ("soviet_reply_received", "allied_answer_received")]
    assert drawn and {e.provenance for e in drawn} == {"counterfactual"}


def test_an_analysts_move_is_counterfactual_and_cannot_claim_to_be_the_record() -> None:
    move = parse_move(BOARDING)
    assert move.provenance == "counterfactual"
    with pytest.raises(InvalidMove, match="provenance: an analyst's move is counterfactual"):
        parse_move({**BOARDING, "provenance": "historical"})
    placed = move.model_copy(update={"at": load_timeline("memo").starts_at})
    assert interjection(placed, 1).provenance == "counterfactual"
    assert "provenance" not in interjection(placed, 1).move  # it goes without saying


@pytest.mark.parametrize(
    ("stored", "upcast"),
    [
        ('"type": "message_delivered", "message_id": "m", "channel": "cable"', "derived"),
        ('"type": "resolve_declared", "step": "5a"', "plan"),
        ('"type": "move_interjected", "move": {}', "counterfactual"),
        ('"type": "incident_occurred", "kind": "ship_boarded", "subject": "x"', "historical"),
    ],
)
def test_an_event_stored_before_provenance_existed_is_upcast_by_the_rule_of_its_day(
    stored: str, upcast: str
) -> None:
    event = event_from_json("{" + COMMON + ', "sources": ["x"], ' + stored + "}")
    assert (event.v, event.provenance) == (2, upcast)


def test_an_analysts_move_stored_before_provenance_is_upcast_as_counterfactual() -> None:
    stored = '"type": "incident_occurred", "kind": "ship_boarded", "subject": "x"'
    event = event_from_json("{" + COMMON + ', "sources": ["analyst move (counterfactual)"], ' + stored + "}")
    assert event.provenance == "counterfactual"
