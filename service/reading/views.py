"""A timeline or a run read back: told with its title (for exports and the classroom), its
world at an instant as a side knew it, and two of them compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from models.sides import Side
from models.state import WorldState, fold, state_at
from models.washington import to_washington
from service.reading.comparison import Comparison, compare
from service.runs.control import could_be_run_id, store, timeline_events
from timelines.loader import (
    is_catalogue_name,
    load_timeline,
)

if TYPE_CHECKING:
    from service.reading.exports import Format, Telling


async def telling(name: str) -> Telling:
    """A timeline or run with its title, for an export or the classroom."""
    from service.reading.exports import Telling

    initial, found = await timeline_events(name)
    title, description, fork_seq = name, f"Run {name} of excomm.", None
    if is_catalogue_name(name) or not could_be_run_id(name):
        definition = load_timeline(name)
        title, description = definition.title, definition.description
    elif (stored := store().timeline(name)) is not None:
        fork_seq = stored.fork_seq
        if is_catalogue_name(stored.name):
            definition = load_timeline(stored.name)
            branch = f", a branch of {stored.parent}" if stored.parent else ""
            title = f"{definition.title} (run {name}{branch})"
            description = definition.description
    return Telling(name, title, description, initial, found, fork_seq)


async def export(name: str, fmt: Format, anniversary: int | None = None) -> str:
    """`excomm export`: a timeline or run as TimelineJS JSON, iCalendar, CSV or a handout."""
    from service.reading.exports import render

    return render(await telling(name), fmt, anniversary)


async def world_state(name: str, at: datetime | None, side: Side | None) -> WorldState:
    """The world at the end of a timeline or run, or at a simulated instant; as a side knew it."""
    initial, found = await timeline_events(name)
    if at is None and side is None:
        return fold(initial, found)
    # A side's view at the end is its view once the last event had happened.
    when = at or (found[-1].at if found else initial.at)
    world = state_at(initial, found, when, side) if when is not None else initial
    return world.model_copy(update={"at": to_washington(at)}) if at is not None else world


@dataclass(frozen=True)
class Differences:
    comparison: Comparison
    events: tuple[int, int]
    states_at: tuple[WorldState, WorldState] | None


async def compare_timelines(first: str, second: str, at: datetime | None) -> Differences:
    initial_a, events_a = await timeline_events(first)
    initial_b, events_b = await timeline_events(second)
    states = (
        (state_at(initial_a, events_a, at), state_at(initial_b, events_b, at)) if at is not None else None
    )
    return Differences(
        compare(initial_a, events_a, initial_b, events_b), (len(events_a), len(events_b)), states
    )
