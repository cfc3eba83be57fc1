"""The record's third pass: each correction of the second review (December 2026), held by a
test that cites the source behind it and fails if the correction is undone."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from models.events import DomainEvent
from models.simulation import initial_state, simulate
from models.state import state_at
from timelines.citations import resolve
from timelines.loader import load_timeline


@cache
def record() -> tuple[DomainEvent, ...]:
    return simulate(load_timeline("october-1962"))


def one(phrase: str) -> DomainEvent:
    found = [e for e in record() if phrase in e.summary]
    assert len(found) == 1, f"{len(found)} events say {phrase!r}"
    return found[0]


def citing(citation: str) -> list[DomainEvent]:
    return [e for e in record() if citation in e.sources]


def test_heysers_flight_is_at_the_hour_kent_gives_with_dobbs_beside_it() -> None:
    # Kent (1972): the crossing began at 0737; Dobbs (2003): the turn north at 7:31 EDT.
    flight = record()[0]
    assert flight.type == "reconnaissance_flown"
    assert flight.at == datetime.fromisoformat("1962-10-14T07:37-04:00")
    assert {"Kent 1972", "Dobbs 2003"} <= set(flight.sources)
    assert "07:31" in (flight.uncertainty or "") and "07:37" in (flight.uncertainty or "")
    assert resolve("Dobbs 2003") is not None and resolve("Kent 1972") is not None


def test_the_soviet_alert_says_the_warsaw_pact_meeting_the_upi_report_gives() -> None:
    # UPI, Moscow, 23 Oct 1962: a military meeting of the Warsaw Pact states was summoned.
    alert = one("put on higher readiness")
    assert "Warsaw Pact" in alert.summary and "UPI 1962-10-23" in alert.sources
    assert "not confirmed" not in (alert.uncertainty or "")


def test_the_excomm_of_24_october_approved_no_submarine_signals() -> None:
    # Its record of action (JFK Library cmc/oct24/doc1) has no approval of the surfacing
    # signals; the procedure was McNamara's (FRUS 1961-63 v10-12 mSupp 377).
    meeting = next(
        e for e in record() if e.type == "meeting_held" and e.at.date().isoformat() == "1962-10-24"
    )
    assert "signal" not in getattr(meeting, "decision", "")
    assert "FRUS 1961-63 v10-12 mSupp 377" in {s for e in record() for s in e.sources}
    assert not [e for e in record() if "ExComm approved the signals" in (e.uncertainty or "")]


def test_u_thants_appeal_cites_the_telegram_that_gives_zorins_hour() -> None:
    # FRUS 1961-63 v11 d72: Thant told Stevenson Zorin had asked him at 7:30 the night before.
    appeal = one("U Thant sends both leaders the same appeal")
    assert "FRUS 1961-63 v11 d72" in appeal.sources
    assert "19:30" in (appeal.uncertainty or "") and "v11 d72" in (appeal.uncertainty or "")
    assert resolve("FRUS 1961-63 v11 d72") is not None


def test_the_paris_telegram_says_what_de_gaulle_said() -> None:
    # FRUS 1961-63 v10-12 mSupp 430: France would be at America's side if it came to war.
    (paris,) = citing("FRUS 1961-63 v10-12 mSupp 430")
    assert "de Gaulle" in paris.summary and "war" in paris.summary
    assert "gives the subject of the telegram, not its content" not in (paris.uncertainty or "")


def test_the_crusaders_fired_on_near_havana_are_told_in_our_own_words() -> None:
    # Dobbs 2008, ch. 10, in other words than his; review E10: two such episodes on 27 Oct.
    fired = [e for e in record() if getattr(e, "kind", None) == "aircraft_fired_on"]
    assert len([e for e in fired if e.at.date().isoformat() == "1962-10-27"]) == 2
    morning = min(fired, key=lambda e: e.at)
    assert "RF-8" in morning.summary and "Havana" in morning.summary
    assert "skim" not in morning.summary and "open up on" not in morning.summary


def test_washington_learns_of_the_u2_loss_as_robert_kennedys_two_hours_allow() -> None:
    # FRUS 1961-63 v11 d96: at 19:45 RFK told Dobrynin of fire found "in the last two hours".
    loss = next(e for e in record() if e.type == "incident_occurred" and "Anderson" in e.summary)
    assert "FRUS 1961-63 v11 d96" in loss.sources or "v11 d96" in (loss.uncertainty or "")
    assert "last two hours" in (loss.uncertainty or "")
    assert loss.learned_at is not None
    assert datetime.fromisoformat("1962-10-27T15:45-04:00") <= loss.learned_at
    assert loss.learned_at <= datetime.fromisoformat("1962-10-27T17:45-04:00")


def test_khrushchevs_words_to_castro_are_given_in_both_published_translations() -> None:
    # Wilson Center 114504 reads "being broadcast now by radio"; the PBS text "transmitted".
    letter = one("Khrushchev urges Castro to hold back")
    note = letter.uncertainty or ""
    assert "broadcast now by radio" in note and "transmitted by radio" in note
    assert "Wilson Center 114504" in letter.sources


def test_castros_il28_letter_is_not_dated_by_a_promise_made_the_day_after() -> None:
    # Khrushchev's promise to Kennedy (FRUS 1961-63 v06 d79) is dated Moscow, 20 Nov.
    letter = one("IL-28s are Soviet property")
    assert "same day" not in letter.summary
    note = letter.uncertainty or ""
    assert "19 Nov" in note and "20 Nov" in note and "v06 d79" in note


def test_italys_jupiters_are_out_by_an_estimated_date_not_a_known_one() -> None:
    # Rome airgram A-1368 (28 Mar 1963): dismantling within 25 days of 1 Apr; no end date.
    italy = [
        e for e in record() if e.type == "jupiter_status_changed" and "Italy" in getattr(e, "countries", ())
    ]
    removed = italy[-1]
    assert "estimate" in removed.summary or "taken to be" in removed.summary
    assert (removed.uncertainty or "").startswith("Inferred")


def test_the_negotiation_memo_is_a_memorandum_not_a_meeting() -> None:
    # FRUS 1961-63 v11 d89: a memorandum of the ExComm's Planning Subcommittee, no meeting.
    memo = citing("FRUS 1961-63 v11 d89")
    assert memo and all(e.type != "meeting_held" for e in memo)
    assert any(e.type == "statement_made" and "memorandum" in getattr(e, "medium", "") for e in memo)


def test_sac_starts_and_ends_the_crisis_at_defcon_5_as_the_jcs_gave_it() -> None:
    # FRUS 1961-63 v11 d215: the commands authorized to return to DEFCON 5 after 20 Nov.
    definition = load_timeline("october-1962")
    assert definition.initial.defcon == {"SAC": 5, "WORLDWIDE": 5}
    (stand_down,) = [
        e for e in record() if e.type == "defcon_changed" and "FRUS 1961-63 v11 d215" in e.sources
    ]
    assert "Rhodes 1995" in stand_down.sources and "peacetime readiness" not in stand_down.summary
    initial = initial_state(definition)
    before_speech = state_at(initial, list(record()), datetime.fromisoformat("1962-10-22T18:00-04:00"))
    after = state_at(initial, list(record()), stand_down.at)
    assert before_speech.defcon == after.defcon == {"SAC": 5, "WORLDWIDE": 5}
