"""The historical timeline: sourced, complete, and faithful to the sources' hours."""

from __future__ import annotations

import itertools
from datetime import date, datetime

from models.events import AccordSigned, AgreementReached, IncidentOccurred, JupiterStatusChanged, MessageSent
from models.simulation import initial_state, simulate
from models.state import fold, state_at
from models.timeline import TimelineDefinition
from models.washington import washington_date
from timelines.primary_sources import find_source


def test_at_least_sixty_dated_events_between_14_october_and_20_november(october: TimelineDefinition) -> None:
    days = [washington_date(e.at) for e in october.events]
    in_crisis = [d for d in days if date(1962, 10, 14) <= d <= date(1962, 11, 20)]
    assert len(in_crisis) >= 60
    assert min(days) == date(1962, 10, 14)


def test_the_1963_follow_ups_are_there(october: TimelineDefinition) -> None:
    turkey_out = [
        e for e in october.events if isinstance(e, JupiterStatusChanged) and "Turkey" in e.countries
    ]
    assert any(e.status == "removed" and (e.at.year, e.at.month) == (1963, 4) for e in turkey_out)
    accords = {e.accord: washington_date(e.at) for e in october.events if isinstance(e, AccordSigned)}
    assert accords == {
        "direct_communications_link": date(1963, 6, 20),
        "limited_test_ban_treaty": date(1963, 8, 5),
    }


def test_every_event_is_cited_and_every_letter_can_be_opened(october: TimelineDefinition) -> None:
    assert all(e.sources for e in october.events)
    letters = [
        e for e in october.events if isinstance(e, MessageSent) and e.document and " v06 " in e.document
    ]
    cited = {e.document for e in letters}
    assert {f"FRUS 1961-63 v06 d{n}" for n in range(60, 82)} <= cited
    for citation in cited:
        assert citation is not None and find_source(citation) is not None, citation


def test_state_at_noon_on_24_october(october: TimelineDefinition) -> None:
    world = state_at(
        initial_state(october), simulate(october), datetime.fromisoformat("1962-10-24T12:00-04:00")
    )
    assert world.quarantine == "in_force"
    assert world.defcon["SAC"] == 2
    assert world.defcon["WORLDWIDE"] == 3
    assert world.missiles == "detected"
    assert world.outcome is None


def test_the_crisis_ends_in_a_negotiated_withdrawal_on_28_october(october: TimelineDefinition) -> None:
    (ending,) = [e for e in simulate(october) if isinstance(e, AgreementReached) and e.outcome]
    assert ending.outcome == "negotiated_withdrawal"
    assert ending.step == "6"
    # Radio Moscow's acceptance, 17:00 Moscow: 09:00 EST, daylight time having ended at 02:00.
    assert ending.at == datetime.fromisoformat("1962-10-28T09:04-05:00")
    final = fold(initial_state(october), simulate(october))
    assert final.outcome == "negotiated_withdrawal"
    assert final.quarantine == "lifted"
    assert final.missiles == "removed"
    assert final.messages_in_transit == ()


def test_the_u2_loss_is_known_in_washington_hours_after_it_happened(october: TimelineDefinition) -> None:
    (loss,) = [
        e for e in simulate(october) if isinstance(e, IncidentOccurred) and e.kind == "aircraft_shot_down"
    ]
    assert washington_date(loss.at) == date(1962, 10, 27)
    assert loss.learned_at is not None and loss.learned_at.hour >= 12 > loss.at.hour
    assert loss.uncertainty


def test_seq_numbers_the_script_from_one_in_time_order(october: TimelineDefinition) -> None:
    placed = simulate(october)
    assert [e.seq for e in placed] == list(range(1, len(placed) + 1))
    assert all(a.at <= b.at for a, b in itertools.pairwise(placed))
