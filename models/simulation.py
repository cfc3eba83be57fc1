"""A timeline's course in simulated time: its scripted events, its moves, and its plan.

`build` puts a timeline definition into a scheduler; the Temporal workflow drives that
scheduler on durable timers, and `simulate` drives it on a virtual clock with no server.
Same definition, same event log: the in-process runtime is also how `excomm events` and
`excomm state` answer without running anything.
"""

from __future__ import annotations

from models.consequences import follow
from models.engine import RULES, Scheduler
from models.events import DomainEvent
from models.memo import MemoPlan
from models.reactions import play
from models.state import WorldState
from models.timeline import TimelineDefinition


def initial_state(definition: TimelineDefinition) -> WorldState:
    return WorldState.initial(definition.initial)


def build(definition: TimelineDefinition, rules: int = RULES) -> Scheduler:
    """The timeline's course, ready to run, under the engine's rules of today or of the
    version a stored run was started under."""
    plan = definition.plan
    side = plan.side if plan is not None else "washington"
    transit = plan.transit if plan is not None else None
    world = Scheduler(initial_state(definition), definition.starts_at, rules, side, transit)
    for event in definition.events:
        world.schedule_event(event)
    world.schedule_moves(definition.moves)
    for move in definition.interjections:
        world.interject(move)
    if rules >= 3:
        # Under rules 3 a behaviour is played by the engine, reacting as things reach its
        # sides (models.reactions), and consequences follow by rules of the world.
        own = plan.behaviour if plan is not None else None
        taking_over = definition.behaviour
        if own is not None and plan is not None:
            # A branch's behaviour takes over from its fork: the plan's own plays until then.
            until = definition.behaviour_from if taking_over is not None else None
            play(world, own, definition.seed or 0, plan.starts_at, until)
        if taking_over is not None:
            start = definition.behaviour_from or definition.starts_at
            play(world, taking_over, definition.behaviour_seed or 0, start)
        follow(world)
    if plan is not None:
        world.start(MemoPlan(plan, world).run())
    return world


def simulate(definition: TimelineDefinition, rules: int = RULES) -> tuple[DomainEvent, ...]:
    """Every event of the timeline, in order, numbered from 1: the in-process runtime."""
    return tuple(build(definition, rules).run_to_end())
