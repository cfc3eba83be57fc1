"""A timeline's course in simulated time: its scripted events, its moves, and its plan.

`build` puts a timeline definition into a scheduler; the Temporal workflow drives that
scheduler on durable timers, and `simulate` drives it on a virtual clock with no server.
Same definition, same event log: the in-process runtime is also how `excomm events` and
`excomm state` answer without running anything.
"""

from __future__ import annotations

from models.engine import RULES, Scheduler
from models.events import DomainEvent
from models.memo import MemoPlan
from models.state import WorldState
from models.timeline import TimelineDefinition


def initial_state(definition: TimelineDefinition) -> WorldState:
    return WorldState.initial(definition.initial)


def build(definition: TimelineDefinition, rules: int = RULES) -> Scheduler:
    """The timeline's course, ready to run, under the engine's rules of today or of the
    version a stored run was started under."""
    side = definition.plan.side if definition.plan is not None else "washington"
    world = Scheduler(initial_state(definition), definition.starts_at, rules, side)
    for event in definition.events:
        world.schedule_event(event)
    world.schedule_moves(definition.moves)
    for move in definition.interjections:
        world.interject(move)
    if definition.plan is not None:
        world.start(MemoPlan(definition.plan, world).run())
    return world


def simulate(definition: TimelineDefinition, rules: int = RULES) -> tuple[DomainEvent, ...]:
    """Every event of the timeline, in order, numbered from 1: the in-process runtime."""
    return tuple(build(definition, rules).run_to_end())
