"""History reacts: an event of the record that a branch has made impossible does not happen."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from models import events as ev
from models.simulation import initial_state, simulate
from models.state import fold
from models.timeline import TimelineDefinition
from service.reading.comparison import compare
from service.runs.branching import fork
from timelines.loader import load_behaviour, load_timeline
from timelines.safe_yaml import FileProblems

BEFORE_RFK = datetime.fromisoformat("1962-10-27T19:44-04:00")
REJECT: dict[str, object] = {"kind": "soviet_reply", "track": "cuba", "answer": "reject"}


def _rejected(name: str) -> tuple[TimelineDefinition, tuple[ev.DomainEvent, ...]]:
    parent = load_timeline(name)
    branch = fork("history", parent, list(simulate(parent)), at=BEFORE_RFK, after_seq=None, moves=[REJECT])
    return branch, simulate(branch)


def test_in_the_record_every_condition_holds_and_nothing_is_suppressed() -> None:
    events = simulate(load_timeline("october-1962"))
    assert not [e for e in events if isinstance(e, ev.EventSuppressed)]
    assert fold(initial_state(load_timeline("october-1962")), events).outcome == "negotiated_withdrawal"


def test_a_soviet_rejection_on_27_october_suppresses_the_acceptance_and_all_that_follows_from_it() -> None:
    branch, events = _rejected("october-1962")
    suppressed = [e for e in events if isinstance(e, ev.EventSuppressed)]
    # The Presidium's decision of 28 Oct to accept goes first (record v5), then the acceptance.
    assert (suppressed[0].suppressed, suppressed[0].condition) == (
        "meeting_held",
        "soviet_answers.cuba is not reject",
    )
    first = next(e for e in suppressed if e.suppressed == "agreement_reached")
    assert (first.suppressed, first.side, first.condition) == (
        "agreement_reached",
        "moscow",
        "soviet_answers.cuba is not reject",
    )
    kinds = {e.type for e in events}
    assert not kinds & {
        "agreement_reached",
        "missile_dismantling_began",
        "missiles_withdrawn",
        "quarantine_lifted",
        "accord_signed",
    }
    world = fold(initial_state(branch), events)
    # Nothing settled it: the quarantine holds, the missiles stay, the forces stay on alert.
    assert (world.outcome, world.missiles, world.quarantine) == (None, "detected", "in_force")
    assert world.defcon == {"SAC": 2, "WORLDWIDE": 3}
    assert all(e.provenance == "derived" for e in suppressed)
    # No Jupiter comes down: their removal grew from the settlement and the assurance (the
    # assurance of 19:45 still came: Washington did not yet know of the rejection).
    assert world.jupiters == {"Turkey": "withdrawal_assured", "Italy": "deployed"}
    # Nor do the hotline and the test ban, which grew from the crisis's peaceful end, nor the
    # joint letter of 7 Jan 1963 that closed the matter at the UN (record v5).
    later = {e.suppressed for e in suppressed if e.at.year == 1963}
    assert later == {"jupiter_status_changed", "statement_made", "accord_signed", "message_sent"}


def test_the_memo_meeting_a_rejection_goes_to_military_action_without_an_acceptance() -> None:
    branch, events = _rejected("memo-1962")
    # The rejection answers the last of Kennedy's letters to have reached Moscow; from then
    # Moscow does not answer the plan, whose deadline carries it up the ladder.
    (rejection,) = [e for e in events if isinstance(e, ev.SovietReplyReceived)]
    assert (rejection.answer, rejection.in_reply_to) == ("reject", ("jfk-1962-10-25",))
    acceptance = next(
        e for e in events if isinstance(e, ev.EventSuppressed) and e.suppressed == "agreement_reached"
    )
    assert "jfk-1962-10-27, which was never sent in this timeline" in acceptance.condition
    world = fold(initial_state(branch), events)
    assert (world.outcome, world.missiles) == ("military_action", "attacked")
    assert not [e for e in events if isinstance(e, ev.AgreementReached)]
    # Nothing of the record's 1963 happens: Washington's acts are the plan's, and the rest
    # grew from a settlement there was not.
    assert not [e for e in events if e.at.year == 1963 and e.provenance == "historical"]


def test_a_behaviour_file_plays_its_side_from_the_fork_answering_what_reached_it(tmp_path: Path) -> None:
    rules = tmp_path / "stubborn.yaml"
    rules.write_text(
        "description: a Soviet side that refuses each message on the Cuba track within a day\n"
        "behaviour:\n"
        "  soviet:\n"
        "    - track: cuba\n"
        "      sources: [FRUS 1961-63 v06 d66]\n"
        "      options: [{p: 1, answer: reject, after: [2h, 20h]}]\n"
    )
    parent = load_timeline("october-1962")
    events = list(simulate(parent))
    branches = [
        fork(
            "h",
            parent,
            events,
            at=BEFORE_RFK,
            after_seq=None,
            moves=[],
            behaviour=load_behaviour(rules),
            seed=s,
        )
        for s in (9, 9, 10)
    ]
    logs = [simulate(b) for b in branches]
    assert logs[0] == logs[1]  # the same seed, the same branch
    for branch, log in zip(branches, logs, strict=True):
        (refusal,) = [e for e in log if isinstance(e, ev.SovietReplyReceived) and e.at > BEFORE_RFK]
        # It answers what had reached Moscow on the Cuba track and was still unanswered at the
        # fork (Scali's reply of the 26th, in Moscow since noon), after it arrived.
        assert refusal.provenance == "counterfactual" and refusal.in_reply_to
        (answered,) = refusal.in_reply_to
        received = next(e.at for e in log if isinstance(e, ev.MessageDelivered) and e.message_id == answered)
        sent = next(e for e in log if isinstance(e, ev.MessageSent) and e.message_id == answered)
        assert (sent.to, sent.track) == ("moscow", "cuba") and received <= refusal.at
        world = fold(initial_state(branch), log)
        # The record's acceptance of 28 Oct 09:00 happens only if the refusal came after it;
        # if it did, the refusal is not given: the crisis was settled, as Moscow knew.
        settled = refusal.at >= datetime.fromisoformat("1962-10-28T09:00-05:00")
        assert (world.outcome == "negotiated_withdrawal") == settled


def test_a_behaviour_file_citing_what_opens_nothing_is_refused_where_it_is_written(tmp_path: Path) -> None:
    rules = tmp_path / "typo.yaml"
    rules.write_text(
        "behaviour:\n  allies:\n"
        "    - {ally: Turkey, p_answer: 1, agree: 1, after: [1h, 2h], sources: [Nobody 1999]}\n"
    )
    with pytest.raises(FileProblems, match=r"typo.yaml:3:\d+: E-UNKNOWN-SOURCE"):
        load_behaviour(rules)


def test_a_comparison_shows_the_move_and_what_it_suppressed_not_a_cascade_of_renumbered_events() -> None:
    parent = load_timeline("october-1962")
    branch, events = _rejected("october-1962")
    parent_events = list(simulate(parent))
    comparison = compare(initial_state(parent), parent_events, initial_state(branch), list(events))
    sides = [d.side for d in comparison.differences]
    assert set(sides) == {"second"}  # nothing the parent did is missing unaccounted for
    kinds = [d.event.type for d in comparison.differences]
    # The move, the answer it gives, its arrival in Washington, then what it suppressed.
    assert kinds[:3] == ["move_interjected", "soviet_reply_received", "message_delivered"]
    assert kinds[3:] == ["event_suppressed"] * (len(kinds) - 3)
    replaced = {d.instead_of.type for d in comparison.differences if d.instead_of is not None}
    assert {"agreement_reached", "quarantine_lifted", "missile_dismantling_began"} <= replaced
    assert comparison.first is not None and comparison.second is not None
    assert (comparison.first.outcome, comparison.second.outcome) == ("negotiated_withdrawal", None)
    assert comparison.second.suppressed == len(kinds) - 3 == 62  # 52 before record v5's new events
