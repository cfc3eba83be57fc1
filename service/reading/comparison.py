"""Comparing two timelines (a parent and its branch, two branches): what one did that the
other did not, aligned by what the events are, never by their place in the log.

A branch that takes one move and so suppresses part of the record differs from its parent
by that move, the suppressions and what the plan did instead, not by a cascade of
renumbered events: every event is matched on its content (type, instant, actor, summary
and fields), with `seq` left out.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field

from models.events import DomainEvent, EventSuppressed, MessageDelivered, MessageSent
from models.state import WorldState, fold


def _content(event: DomainEvent) -> str:
    return json.dumps(event.model_dump(mode="json", exclude={"seq"}), sort_keys=True)


@dataclass(frozen=True)
class Difference:
    """One event only one side has: `first` or `second`. A suppression on one side stands
    with the event it took the place of on the other (`instead_of`)."""

    side: str
    event: DomainEvent
    instead_of: DomainEvent | None = None


@dataclass(frozen=True)
class Outline:
    """What a timeline came to, for the summary of a comparison."""

    events: int
    outcome: str | None
    rungs: tuple[str, ...]
    suppressed: int


@dataclass(frozen=True)
class Comparison:
    differences: list[Difference] = field(default_factory=list)
    first: Outline | None = None
    second: Outline | None = None

    @property
    def first_divergence(self) -> Difference | None:
        return self.differences[0] if self.differences else None


def _outline(initial: WorldState, events: list[DomainEvent]) -> Outline:
    rungs = tuple(dict.fromkeys(r for e in events if (r := getattr(e, "rung", None))))
    suppressed = sum(isinstance(e, EventSuppressed) for e in events)
    return Outline(len(events), fold(initial, events).outcome, rungs, suppressed)


def compare(
    initial_a: WorldState, events_a: list[DomainEvent], initial_b: WorldState, events_b: list[DomainEvent]
) -> Comparison:
    matcher = difflib.SequenceMatcher(
        a=[_content(e) for e in events_a], b=[_content(e) for e in events_b], autojunk=False
    )
    differences: list[Difference] = []
    for tag, a_from, a_to, b_from, b_to in matcher.get_opcodes():
        if tag == "equal":
            continue
        only_a, only_b = events_a[a_from:a_to], events_b[b_from:b_to]
        differences += _paired(only_a, only_b, "first", "second")
    # A message the other side suppressed was never delivered there either: its delivery
    # (derived) goes with the suppression rather than standing as a difference of its own.
    unsent = {d.instead_of.message_id for d in differences if isinstance(d.instead_of, MessageSent)}
    differences = [
        d for d in differences if not (isinstance(d.event, MessageDelivered) and d.event.message_id in unsent)
    ]
    differences.sort(key=lambda d: (d.event.at, d.event.seq))
    return Comparison(differences, _outline(initial_a, events_a), _outline(initial_b, events_b))


def _paired(only_a: list[DomainEvent], only_b: list[DomainEvent], a: str, b: str) -> list[Difference]:
    """Each side's events; a suppression on either side stands beside the event of the other
    side that it took the place of, as one difference."""
    differences: list[Difference] = []
    taken: set[int] = set()
    for side, mine, theirs in ((a, only_a, only_b), (b, only_b, only_a)):
        for event in mine:
            if id(event) in taken:
                continue
            twin = _suppressed_twin(event, theirs) if isinstance(event, EventSuppressed) else None
            if twin is not None:
                taken.add(id(twin))
            differences.append(Difference(side, event, twin))
    return [d for d in differences if id(d.event) not in taken]


def _suppressed_twin(suppression: EventSuppressed, others: list[DomainEvent]) -> DomainEvent | None:
    return next(
        (
            o
            for o in others
            if o.at == suppression.at
            and not isinstance(o, EventSuppressed)
            and suppression.summary.endswith(o.summary)
        ),
        None,
    )
