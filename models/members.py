"""A member of an ensemble on the record: one row of what happened in it.

The row is what an analyst needs to ask "which members, and why?": the member's index and
seed (so `excomm run VARIANT --seed S` runs it again, durably, with the same event log),
what each of its behaviour's rules came to (the answers given, each with its delay after
what it answered reached its side; the incidents; the moves the world's rules refused),
the plan's parameters in force, and the outcome with its instant and Washington day, the
rungs it reached, and the size and span of its event log. A row holds what happened, never
an input the plan did not meet: an answer the world refused is counted as refused, not as
an answer.

Every member of a plan has the same columns, in the same order, whatever happened: an
ally's rule gives `ally.<name>.answer` whether or not that ally answered (`none` if not),
so the rows of many members make one table. Durations are in hours, in columns whose
names end in `_h`; instants are ISO 8601 with Washington's offset of the day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from models import events as ev
from models.behaviour import Behaviour
from models.moves import AlliedAnswer, Incident, SovietReply
from models.plan import PlanDefinition
from models.washington import to_washington, washington_date

Value = str | int | float | bool | None
Row = dict[str, Value]

NO_ANSWER = "none"
M = TypeVar("M", SovietReply, AlliedAnswer, Incident)


def slug(name: str) -> str:
    """A name as a column's part: `North Atlantic Council` -> `north_atlantic_council`."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def hours(duration: timedelta) -> float:
    return round(duration.total_seconds() / 3600, 4)


def _unique(keys: list[str]) -> list[str]:
    # Two rules for the same track, ally or kind of incident get numbered columns.
    return [key if keys.count(key) == 1 else f"{key}.{keys[:i].count(key) + 1}" for i, key in enumerate(keys)]


def _soviet_keys(behaviour: Behaviour) -> list[str]:
    return _unique([f"soviet.{slug(rule.track)}" for rule in behaviour.soviet])


def _ally_keys(behaviour: Behaviour) -> list[str]:
    return _unique([f"ally.{slug(rule.ally)}" for rule in behaviour.allies])


def _incident_keys(behaviour: Behaviour) -> list[str]:
    return _unique([f"incident.{slug(rule.incident)}" for rule in behaviour.incidents])


def happened_values(plan: PlanDefinition, events: Sequence[ev.DomainEvent]) -> Row:
    """What came of the behaviour's rules in one member, read off its log (engine rules 3):
    the answer each side gave, when it gave it after what reached it, what happened, and the
    moves the world's rules refused. Never an input the plan did not meet: an answer that
    was refused is not an answer."""
    behaviour = plan.behaviour
    if behaviour is None:
        return {}
    row: Row = {}
    delivered = {e.message_id: e.at for e in events if type(e) is ev.MessageDelivered}
    for key, soviet_rule in zip(_soviet_keys(behaviour), behaviour.soviet, strict=True):
        replies = [e for e in events if type(e) is ev.SovietReplyReceived and e.track == soviet_rule.track]
        reply = replies[0] if replies else None
        received = delivered.get(reply.in_reply_to[0]) if reply and reply.in_reply_to else None
        row[f"{key}.answer"] = reply.answer if reply else NO_ANSWER
        row[f"{key}.terms"] = ";".join(reply.terms) if reply else ""
        row[f"{key}.after_h"] = hours(reply.at - received) if reply and received else None
        row[f"{key}.answers"] = len(replies)
    opened = {e.ally: e.at for e in events if type(e) is ev.ConsultationOpened}
    for key, ally_rule in zip(_ally_keys(behaviour), behaviour.allies, strict=True):
        answer = next(
            (e for e in events if type(e) is ev.AlliedAnswerReceived and e.ally == ally_rule.ally), None
        )
        consulted = opened.get(ally_rule.ally)
        row[f"{key}.answer"] = answer.answer if answer else NO_ANSWER
        row[f"{key}.after_h"] = hours(answer.at - consulted) if answer and consulted else None
    start = plan.starts_at
    for key, incident_rule in zip(_incident_keys(behaviour), behaviour.incidents, strict=True):
        incident = next(
            (
                e
                for e in events
                if type(e) is ev.IncidentOccurred
                and (e.kind, e.subject) == (incident_rule.incident, incident_rule.subject)
            ),
            None,
        )
        row[f"{key}.happened"] = incident is not None
        row[f"{key}.at"] = to_washington(incident.at).isoformat() if incident else None
        row[f"{key}.after_h"] = hours(incident.at - start) if incident else None
    refused = [e for e in events if type(e) is ev.EventSuppressed and e.cause == "refused"]
    row["refused"] = len(refused)
    row["refused.what"] = ";".join(f"{e.suppressed}: {e.condition}" for e in refused)
    return row


def parameters(plan: PlanDefinition) -> Row:
    """The plan's parameters a member ran under: its deadline, and each channel's transit
    that one of its tracks uses."""
    row: Row = {"deadline_h": hours(plan.deadline)}
    for channel in dict.fromkeys(track.channel for track in plan.tracks):
        row[f"transit.{channel}_h"] = hours(plan.transit[channel])
    return row


RUNGS = (ev.EscalationRungReached, ev.MilitaryActionOrdered)  # the events that reach a rung
ENDINGS = (ev.AgreementReached, ev.CrisisEnded)


def reached_outcome(event: ev.DomainEvent) -> str | None:
    """The outcome this event reaches, if it reaches one: military action, or a settlement."""
    if isinstance(event, ev.MilitaryActionOrdered):
        return "military_action"
    if isinstance(event, ENDINGS):
        return event.outcome or None
    return None


def outcome_of(events: Sequence[ev.DomainEvent]) -> tuple[str, datetime | None]:
    """The outcome a log reached first, and when."""
    for event in events:
        outcome = reached_outcome(event)
        if outcome is not None:
            return outcome, event.at
    return NO_ANSWER, None


def outcome_values(plan: PlanDefinition, events: Sequence[ev.DomainEvent]) -> Row:
    """The outcome (military action, or the first settlement), its instant and day, the
    highest rung of the ladder reached and every rung reached, and the log's size and span."""
    outcome, at = outcome_of(events)
    reached: list[str] = []
    for event in events:
        if isinstance(event, RUNGS) and event.rung not in reached:
            reached.append(event.rung)
    ladder = [rung.rung for rung in plan.ladder]
    on_ladder = [rung for rung in reached if rung in ladder]
    return {
        "outcome": outcome,
        "outcome_at": to_washington(at).isoformat() if at else None,
        "outcome_day": washington_date(at).isoformat() if at else None,
        "rung": max(on_ladder, key=ladder.index) if on_ladder else NO_ANSWER,
        "rungs": ";".join(sorted(reached, key=lambda r: ladder.index(r) if r in ladder else len(ladder))),
        "events": len(events),
        "first_at": to_washington(events[0].at).isoformat() if events else None,
        "last_at": to_washington(events[-1].at).isoformat() if events else None,
    }


def member_row(
    plan: PlanDefinition,
    index: int,
    seed: int,
    events: Sequence[ev.DomainEvent],
    varied: Row | None = None,
) -> Row:
    """One member's row: index, seed, what its behaviour's rules came to, the parameters,
    what came of it."""
    return {
        "member": index,
        "seed": seed,
        **happened_values(plan, events),
        **parameters(plan),
        **(varied or {}),
        **outcome_values(plan, events),
    }
