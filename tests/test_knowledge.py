"""Knowledge has a time per side: each side sees, and a plan answers, only what it knew."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from rich.console import Console

from models import events as ev
from models.engine import RULES
from models.moves import MOVE_ADAPTER
from models.plan import PlanDefinition
from models.simulation import initial_state, simulate
from models.state import state_at
from models.timeline import TimelineDefinition
from service.reading.chronicle import Chronicle
from timelines.loader import load_plan, load_timeline

LOSS_AT = "1962-10-27T11:19-04:00"
KNOWN_IN_WASHINGTON = "1962-10-27T16:00-04:00"
WATCH_OPENS = "1962-10-27T12:00-04:00"  # the plan's tracks, and its watch, open at noon
U2_LOSS = {
    "kind": "incident",
    "incident": "aircraft_shot_down",
    "subject": "U-2",
    "at": LOSS_AT,
    "learned_at": KNOWN_IN_WASHINGTON,
    "sources": ["FRUS 1961-63 v11 d96"],
    "provenance": "historical",
}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _answer_the_loss(**extra_steps: Any) -> TimelineDefinition:
    """The memo's plan with one more branch: strike the SAM site once a U-2 is lost."""
    memo = load_plan("memo").model_dump(by_alias=True)
    negotiate = next(s for s in memo["steps"] if s["id"] == "negotiate")
    negotiate["branches"] = (
        *negotiate["branches"],
        [
            {
                "id": "answer-the-loss",
                "kind": "wait",
                "for": [{"move": "incident", "incident": "aircraft_shot_down"}],
                "deadline": "30d",
                "then": [
                    {
                        "id": "strike",
                        "kind": "end",
                        "outcome": "military_action",
                        "rung": "sam_site_strike",
                        "summary": "The SAM site is struck.",
                    }
                ],
            }
        ],
    )
    plan = PlanDefinition.model_validate({**memo, **extra_steps})
    return TimelineDefinition(
        id="answer",
        version=1,
        title="answer the loss",
        description="the memo's plan answering a U-2 loss",
        starts_at=plan.starts_at,
        plan=plan,
        moves=(MOVE_ADAPTER.validate_python(U2_LOSS),),
    )


def _strike(events: tuple[ev.DomainEvent, ...]) -> ev.DomainEvent:
    (strike,) = [e for e in events if isinstance(e, ev.MilitaryActionOrdered) and e.rung == "sam_site_strike"]
    return strike


def test_a_plan_answers_an_incident_only_once_its_side_has_learned_of_it() -> None:
    events = simulate(_answer_the_loss())
    (loss,) = [e for e in events if isinstance(e, ev.IncidentOccurred)]
    # The loss is on the record when it happened; Washington strikes when it knows.
    assert loss.at == _at(LOSS_AT) and loss.provenance == "historical"
    assert _strike(events).at == _at(KNOWN_IN_WASHINGTON)


def test_runs_started_under_the_first_rules_still_answer_as_soon_as_they_watch() -> None:
    assert RULES == 3
    # The loss waits in the plan's mailbox from 11:19 until the watch opens at noon.
    assert _strike(simulate(_answer_the_loss(), rules=1)).at == _at(WATCH_OPENS)


def test_a_plan_acting_for_moscow_knows_of_the_loss_at_once() -> None:
    assert _strike(simulate(_answer_the_loss(side="moscow"))).at == _at(WATCH_OPENS)


def test_a_sides_view_of_the_world_holds_only_what_it_had_learned() -> None:
    definition = _answer_the_loss()
    events = simulate(definition)
    noon = _at("1962-10-27T12:00-04:00")
    happened = state_at(initial_state(definition), events, noon)
    washington = state_at(initial_state(definition), events, noon, side="washington")
    moscow = state_at(initial_state(definition), events, noon, side="moscow")
    assert happened.incidents == moscow.incidents == {"aircraft_shot_down": 1}
    assert washington.incidents == {}
    later = state_at(initial_state(definition), events, _at(KNOWN_IN_WASHINGTON), side="washington")
    assert later.incidents == {"aircraft_shot_down": 1}


def test_the_chronicle_as_washington_tells_the_loss_when_washington_heard_of_it() -> None:
    definition = _answer_the_loss()
    events = simulate(definition)
    screen = io.StringIO()
    chronicle = Chronicle(Console(file=screen, width=200), initial_state(definition), side="washington")
    chronicle.feed(events)
    chronicle.close()
    text = screen.getvalue()
    told = text.index("Incident: aircraft shot down")
    # Told at 16:00, with the hour it happened, after what Washington did in between.
    assert text.rfind("16:00 EDT", 0, told) > text.rfind("12:00 EDT", 0, told) >= 0
    assert "it happened 27 Oct 1962 11:19 EDT" in text[told:]


def test_in_u2_sam_strike_the_strike_never_comes_before_washington_knew_of_the_loss() -> None:
    events = simulate(load_timeline("u2-sam-strike"))
    (loss,) = [e for e in events if isinstance(e, ev.IncidentOccurred) and e.kind == "aircraft_shot_down"]
    assert loss.provenance == "historical" and loss.at == _at(LOSS_AT)
    assert loss.learned_at == _at(KNOWN_IN_WASHINGTON)
    assert _strike(events).at >= loss.learned_at


def test_a_plan_can_act_for_havana_and_its_private_acts_stay_havanas() -> None:
    from models.ensemble import member
    from models.events import known_at
    from timelines.loader import plan_of

    plan = plan_of("memo").model_copy(update={"side": "havana"})
    events = simulate(member(plan, 0))
    acts = [e for e in events if e.provenance == "plan"]
    assert acts and {e.side for e in acts} == {"havana"}
    for act in acts:
        assert known_at(act, "havana") == act.at  # its own side knows at once
    private = [e for e in acts if not e.public and e.learned_at is None and e.type != "message_sent"]
    assert private and all(known_at(e, "washington") is None for e in private)
