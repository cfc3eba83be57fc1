"""The historical timeline: the record alone, sourced, complete, faithful to the sources' hours."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest

from models import events as ev
from models.sides import Side
from models.simulation import initial_state, simulate
from models.state import WorldState, fold, state_at
from models.timeline import TimelineDefinition
from models.washington import washington_date
from timelines.citations import resolve


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _state(october: TimelineDefinition, at: str, side: Side | None = None) -> WorldState:
    return state_at(initial_state(october), simulate(october), _at(at), side)


def _one(october: TimelineDefinition, kind: type[ev.DomainEvent], words: str) -> ev.DomainEvent:
    (found,) = [e for e in october.events if isinstance(e, kind) and words in e.summary]
    return found


def test_the_record_is_history_alone_with_no_plan_running(october: TimelineDefinition) -> None:
    assert october.plan is None and not october.moves and october.is_record
    placed = simulate(october)
    kinds = {e.provenance for e in placed}
    assert kinds == {"historical", "derived"}
    assert sum(e.provenance == "historical" for e in placed) >= 130
    # A delivery is bookkeeping about a message, never a second record of the act.
    assert {e.type for e in placed if e.provenance == "derived"} == {"message_delivered"}


def test_seq_numbers_the_record_from_one_in_time_order(october: TimelineDefinition) -> None:
    placed = simulate(october)
    assert [e.seq for e in placed] == list(range(1, len(placed) + 1))
    assert all(a.at <= b.at for a, b in itertools.pairwise(placed))
    assert min(washington_date(e.at) for e in placed) == date(1962, 10, 14)


def test_the_1963_follow_ups_are_there(october: TimelineDefinition) -> None:
    removed = {
        country: washington_date(e.at)
        for e in october.events
        if isinstance(e, ev.JupiterStatusChanged) and e.status == "removed"
        for country in e.countries
    }
    assert removed == {"Turkey": date(1963, 4, 24), "Italy": date(1963, 4, 26)}
    accords = {e.accord: washington_date(e.at) for e in october.events if isinstance(e, ev.AccordSigned)}
    assert accords == {
        "direct_communications_link": date(1963, 6, 20),
        "limited_test_ban_treaty": date(1963, 8, 5),
    }


def test_every_letter_is_on_the_record_and_opens_with_its_full_text(october: TimelineDefinition) -> None:
    letters = {e.document for e in october.events if isinstance(e, ev.MessageSent) and e.document}
    wanted = {f"FRUS 1961-63 v06 d{n}" for n in range(60, 82)}
    # Each letter is the message it was; the broadcast of 28 Oct is the settlement itself.
    assert wanted - letters == {"FRUS 1961-63 v06 d68"}
    (settlement,) = [
        e for e in october.events if "FRUS 1961-63 v06 d68" in e.sources and e.type == "agreement_reached"
    ]
    assert settlement.outcome == "negotiated_withdrawal"
    for citation in wanted:
        source = resolve(citation)
        assert source is not None and source.kind == "text" and source.text, citation


def test_the_acceptance_of_28_october_settles_the_crisis_with_no_plan_running(
    october: TimelineDefinition,
) -> None:
    (ending,) = [e for e in simulate(october) if isinstance(e, ev.AgreementReached) and e.outcome]
    assert (ending.outcome, ending.step, ending.provenance) == ("negotiated_withdrawal", None, "historical")
    # Radio Moscow, 17:00 Moscow: 09:00 EST, daylight time having ended at 02:00; FBIS at 09:04.
    assert ending.at == _at("1962-10-28T09:00-05:00")
    assert ending.learned_at == _at("1962-10-28T09:04-05:00")
    final = fold(initial_state(october), simulate(october))
    assert (final.outcome, final.quarantine, final.missiles) == ("negotiated_withdrawal", "lifted", "removed")
    assert final.messages_in_transit == ()


def test_the_u2_was_lost_at_1119_and_washington_knew_at_the_1600_excomm(october: TimelineDefinition) -> None:
    """Dobbs (2008): '11:19 A.M. Saturday, October 27 (10:19 A.M. Havana)'; Taylor told the
    16:00 ExComm meeting (review E2)."""
    assert "aircraft_shot_down" not in _state(october, "1962-10-27T11:00-04:00").incidents
    assert _state(october, "1962-10-27T12:00-04:00").incidents["aircraft_shot_down"] == 1
    assert "aircraft_shot_down" not in _state(october, "1962-10-27T12:00-04:00", "washington").incidents
    assert _state(october, "1962-10-27T16:00-04:00", "washington").incidents["aircraft_shot_down"] == 1
    loss = _one(october, ev.IncidentOccurred, "Anderson")
    assert "Dobbs 2008, ch. 10" in loss.sources and loss.uncertainty and "10:22" in loss.uncertainty


@pytest.mark.parametrize(
    ("instant", "sac", "worldwide", "source"),
    [
        ("1962-10-22T18:59-04:00", 5, 5, None),
        ("1962-10-22T19:00-04:00", 3, 3, "Rhodes 1995"),  # with the speech
        ("1962-10-24T12:00-04:00", 2, 3, "Polmar and Gresham 2006"),  # SAC alone to DEFCON 2
        ("1962-10-29T09:00-05:00", 2, 3, "FRUS 1961-63 v10-12 mSupp 450"),  # the staff meeting's reading
        ("1962-11-15T12:00-05:00", 3, 3, "FAS DEFCON"),  # contested: Polmar and Gresham say 20 Nov
        ("1962-11-21T12:00-05:00", 5, 5, "FRUS 1961-63 v11 d215"),  # the JCS: back to DEFCON 5
    ],
    ids=["before-the-speech", "speech", "sac-defcon-2", "29-october", "sac-back-to-3", "stand-down"],
)
def test_defcon_on_each_day_is_what_the_sources_give(
    october: TimelineDefinition, instant: str, sac: int, worldwide: int, source: str | None
) -> None:
    world = _state(october, instant)
    assert world.defcon == {"SAC": sac, "WORLDWIDE": worldwide}
    if source is not None:
        cited = {s for e in october.events if e.at <= _at(instant) for s in e.sources}
        assert source in cited
    # No level changes without a source that says so.
    for change in october.events:
        if isinstance(change, ev.DefconChanged):
            assert all(resolve(s) is not None for s in change.sources)


def test_what_washington_did_not_know_at_the_time_is_learned_when_it_was(october: TimelineDefinition) -> None:
    castro = _one(october, ev.MessageSent, "Castro writes to Khrushchev")
    assert castro.learned_at is not None and castro.learned_at.year == 1990
    torpedo = _one(october, ev.MeetingHeld, "nuclear torpedo")
    assert torpedo.learned_at is not None and torpedo.learned_at.year == 2002
    ships = _one(october, ev.IncidentOccurred, "turn back")
    assert (ships.at, ships.learned_at) == (_at("1962-10-23T12:00-04:00"), _at("1962-10-24T10:25-04:00"))
    dismantling = next(e for e in october.events if isinstance(e, ev.MissileDismantlingBegan))
    assert dismantling.learned_at == _at("1962-11-01T12:00-05:00")  # the low-level photographs
    assert _state(october, "1962-10-30T12:00-05:00", "washington").missiles == "detected"
    assert _state(october, "1962-10-30T12:00-05:00").missiles == "dismantling"


@pytest.mark.parametrize(
    ("kind", "words", "day"),
    [
        (ev.StatementMade, "call a submerged submarine to the surface", date(1962, 10, 24)),
        (ev.IncidentOccurred, "drop practice depth charges", date(1962, 10, 27)),
        (ev.IncidentOccurred, "B-59 surfaces", date(1962, 10, 27)),
        (ev.IncidentOccurred, "B-130", date(1962, 10, 30)),
        (ev.IncidentOccurred, "B-36", date(1962, 10, 31)),
        (ev.StatementMade, "U Thant sends both leaders the same appeal", date(1962, 10, 24)),
        (ev.StatementMade, "narrower second request", date(1962, 10, 25)),
        (ev.StatementMade, "keep away from the interception area", date(1962, 10, 26)),
        (ev.StatementMade, "Moscow's first public answer", date(1962, 10, 23)),
        (ev.ActionTaken, "put on higher readiness", date(1962, 10, 23)),
        (ev.MeetingHeld, "de Gaulle", date(1962, 10, 22)),
        (ev.MeetingHeld, "North Atlantic Council", date(1962, 10, 22)),
        (ev.StatementMade, "five conditions", date(1962, 10, 28)),
        (ev.MessageSent, "Khrushchev urges Castro to hold back", date(1962, 10, 28)),
        (ev.ActionTaken, "reaches Havana", date(1962, 11, 2)),
        (ev.ActionTaken, "leaves Havana", date(1962, 11, 26)),
        (ev.MessageSent, "IL-28s are Soviet property", date(1962, 11, 19)),
        (ev.ActionTaken, "last Soviet nuclear warheads", date(1962, 12, 1)),
    ],
)
def test_the_episodes_the_review_found_missing_are_on_the_record(
    october: TimelineDefinition, kind: type[ev.DomainEvent], words: str, day: date
) -> None:
    episode = _one(october, kind, words)
    assert washington_date(episode.at) == day
    assert episode.sources and all(resolve(s) is not None for s in episode.sources)


def test_the_corrections_of_the_review_hold(october: TimelineDefinition) -> None:
    # E4: Macmillan's message was read at the 15:00 NSC meeting, not received at 19:08.
    nsc = _one(october, ev.MeetingHeld, "Macmillan")
    assert nsc.at == _at("1962-10-22T15:00-04:00")
    # E5: the 26 Oct letter offers no arms shipments for no invasion, not inspection.
    letter = next(
        e for e in october.events if isinstance(e, ev.MessageSent) and e.message_id == "nsk-1962-10-26"
    )
    assert letter.terms == ("no_arms_shipments_to_cuba", "no_invasion_pledge")
    # E6: the speech of 22 Oct is not Khrushchev's letter of 23 Oct.
    speech = _one(october, ev.StatementMade, "televised address")
    assert "FRUS 1961-63 v06 d61" not in speech.sources
    # E10: the RF-8s were fired on near Havana late in the morning as well as in the afternoon.
    fired = [washington_date(e.at) for e in october.events if getattr(e, "kind", None) == "aircraft_fired_on"]
    assert fired == [date(1962, 10, 27)] * 2
    # E12: no citation without its document number.
    assert not [s for e in october.events for s in e.sources if "not verified" in s]
    # E13: the congressional leaders were briefed at 17:30 by the tape listing.
    briefing = _one(october, ev.MeetingHeld, "leaders of Congress")
    assert briefing.at == _at("1962-10-22T17:30-04:00")
