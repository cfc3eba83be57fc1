"""History reacts: an event of the record that a branch has made impossible does not happen."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from models import events as ev
from models.simulation import initial_state, simulate
from models.state import fold
from models.timeline import TimelineDefinition
from service.branching import fork
from service.comparison import compare
from timelines.loader import load_behaviour, load_timeline
from timelines.safe_yaml import FileProblems

BEFORE_RFK = datetime.fromisoformat("1962-10-27T19:44-04:00")
REJECT: dict[str, object] = {"kind": "soviet_reply", "track": "cuba", "answer": "reject"}


def _rejected(name: str) -> tuple[TimelineDefinition, tuple[ev.DomainEvent, ...]]:
    parent = load_timeline(name)
    branch = fork("history", parent, list(simulate(parent)), at=BEFORE_RFK, after_seq=None, moves=[REJECT])
    return branch, simulate(branch)


@pytest.mark.parametrize("name", ["october-1962", "memo-1962"])
def test_in_the_record_every_condition_holds_and_nothing_is_suppressed(name: str) -> None:
    events = simulate(load_timeline(name))
    assert not [e for e in events if isinstance(e, ev.EventSuppressed)]
    assert fold(initial_state(load_timeline(name)), events).outcome == "negotiated_withdrawal"


def test_a_soviet_rejection_on_27_october_suppresses_the_acceptance_and_all_that_follows_from_it() -> None:
    branch, events = _rejected("october-1962")
    suppressed = [e for e in events if isinstance(e, ev.EventSuppressed)]
    first = suppressed[0]
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
    }
    world = fold(initial_state(branch), events)
    # Nothing settled it: the quarantine holds, the missiles stay, the forces stay on alert.
    assert (world.outcome, world.missiles, world.quarantine) == (None, "detected", "in_force")
    assert world.defcon == {"SAC": 2, "WORLDWIDE": 3}
    assert all(e.provenance == "derived" for e in suppressed)
    # What did not depend on the settlement still happened: the 1963 test ban is not the crisis's.
    assert "accord_signed" in kinds


def test_the_memo_meeting_a_rejection_goes_to_military_action_without_an_acceptance() -> None:
    branch, events = _rejected("memo-1962")
    (acceptance,) = [e for e in events if isinstance(e, ev.EventSuppressed) and e.at.day == 28]
    assert acceptance.suppressed == "soviet_reply"
    world = fold(initial_state(branch), events)
    assert world.outcome == "military_action" and world.missiles == "detected"
    assert not [e for e in events if isinstance(e, ev.AgreementReached)]
    # The hotline and the test ban of 1963 are suppressed too: they need no war.
    later = [e.suppressed for e in events if isinstance(e, ev.EventSuppressed) and e.at.year == 1963]
    assert later == ["soviet_reply", "soviet_reply"]


def test_a_behaviour_file_gives_the_sides_moves_after_the_fork_drawn_from_its_seed(tmp_path: Path) -> None:
    rules = tmp_path / "stubborn.yaml"
    rules.write_text(
        "description: a Soviet side that answers again on the Cuba track within a day\n"
        "behaviour:\n"
        "  soviet:\n"
        "    - track: cuba\n"
        "      sources: [FRUS 1961-63 v06 d66]\n"
        "      options: [{p: 1, answer: counter, after: [2h, 20h], terms: [no_invasion_pledge]}]\n"
    )
    parent = load_timeline("october-1962")
    events = list(simulate(parent))
    first, again = (
        fork(
            "h",
            parent,
            events,
            at=BEFORE_RFK,
            after_seq=None,
            moves=[REJECT],
            behaviour=load_behaviour(rules),
            seed=9,
        )
        for _ in range(2)
    )
    assert first == again  # the same seed, the same moves
    (drawn,) = [
        m for m in first.moves if m.at is not None and m.at > BEFORE_RFK and m.provenance == "counterfactual"
    ]
    assert drawn.answer == "counter"  # type: ignore[union-attr]
    assert drawn.at is not None
    world = fold(initial_state(first), simulate(first))
    # The Soviets answered again before 28 Oct 09:00: the acceptance is no longer contradicted.
    assert (world.outcome == "negotiated_withdrawal") == (
        drawn.at < datetime.fromisoformat("1962-10-28T09:00-05:00")
    )


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
    assert kinds[:2] == ["move_interjected", "soviet_reply_received"]
    assert kinds[2:] == ["event_suppressed"] * (len(kinds) - 2)
    replaced = {d.instead_of.type for d in comparison.differences if d.instead_of is not None}
    assert {"agreement_reached", "quarantine_lifted", "missile_dismantling_began"} <= replaced
    assert comparison.first is not None and comparison.second is not None
    assert (comparison.first.outcome, comparison.second.outcome) == ("negotiated_withdrawal", None)
    assert comparison.second.suppressed == len(kinds) - 2 == 48
