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
        _play_behaviours(world, definition)
        if plan is not None and definition.record is not None:
            # A timeline that begins with the record: from its start the plan acts for its
            # side, and the record's acts of that side after then do not happen.
            world.act_from(plan.starts_at, plan.side)
        follow(world)
    if plan is not None:
        world.start(MemoPlan(plan, world).run())
    return world


def _play_behaviours(world: Scheduler, definition: TimelineDefinition) -> None:
    """The timeline's own behaviour (its file's, else its plan's) from the plan's start, then
    each takeover from its instant, each playing until the next takes over."""
    plan = definition.plan
    start = plan.starts_at if plan is not None else definition.starts_at
    own = definition.behaviour or (plan.behaviour if plan is not None else None)
    players = [(own, start, definition.seed or 0)] if own is not None else []
    players += [(t.behaviour, t.at, t.seed) for t in definition.takeovers]
    for index, (behaviour, at, seed) in enumerate(players):
        until = players[index + 1][1] if index + 1 < len(players) else None
        taking_over = index > 0 or own is None  # a branch's, from its fork
        play(world, behaviour, seed, at, until, taking_over)


def simulate(definition: TimelineDefinition, rules: int = RULES) -> tuple[DomainEvent, ...]:
    """Every event of the timeline, in order, numbered from 1: the in-process runtime."""
    return tuple(build(definition, rules).run_to_end())
