"""Forking a timeline into a branch, and comparing branches. Never rewriting the parent.

A branch is a new timeline: the parent's definition and the analysts' moves it had taken
up to the fork instant, then the branch's own moves, taken at the fork as an analyst's
would have been. The engine is deterministic, so the branch reproduces the parent's
events up to the fork exactly; the parent itself is not touched, running or finished.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from models import vocabulary
from models.admission import Situation, admit, field_name, vocabulary_problems
from models.behaviour import Behaviour, Takeover
from models.causality import LogWorld
from models.engine import RULES
from models.errors import ExcommError
from models.events import DomainEvent, MoveInterjected, event_to_json, in_washington_time
from models.moves import InvalidMove, Move, parse_move
from models.plan import PlanDefinition
from models.run import TimelineRun
from models.simulation import simulate
from models.state import WorldState, fold
from models.timeline import TimelineDefinition
from models.trusted import replace
from models.washington import to_washington

if TYPE_CHECKING:
    from temporalio.client import Client


class BranchError(ExcommError, ValueError):
    """A fork that cannot be made, with the reason in one line."""


async def parent_run(client: Client, parent_id: str) -> TimelineRun:
    """The parent's input, read from the start of its history on the server."""
    history = await client.get_workflow_handle(parent_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    from temporalio.contrib.pydantic import pydantic_data_converter  # the SDK only when needed

    (run,) = pydantic_data_converter.payload_converter.from_payloads(
        list(started.input.payloads), [TimelineRun]
    )
    assert isinstance(run, TimelineRun)
    return run


def fork(
    parent_id: str,
    parent: TimelineDefinition,
    parent_events: list[DomainEvent],
    *,
    at: datetime | None,
    after_seq: int | None,
    moves: list[dict[str, object]],
    plan: PlanDefinition | None = None,
    behaviour: Behaviour | None = None,
    seed: int = 0,
    until: datetime | None = None,
    rules: int = RULES,
    behaviour_name: str | None = None,
) -> TimelineDefinition:
    """The branch's definition: the parent up to the fork, then the new moves, each taken by
    the same rules as a move sent to a running timeline (models.admission). With a
    behaviour, it plays the sides it governs from the fork on, with `seed`, in place of their
    script. With a plan (`--variant`), the plan must give the parent's past exactly. `until`
    is a running parent's clock: a fork may be at any instant up to it."""
    if not parent_events:
        raise BranchError(f"{parent_id} has no events yet to fork from")
    last = parent_events[-1]
    if after_seq is not None:
        if not 1 <= after_seq <= last.seq:
            raise BranchError(f"fork point beyond the end: {parent_id} has events 1..{last.seq}")
        fork_at = parent_events[after_seq - 1].at
    else:
        assert at is not None
        try:
            fork_at = in_washington_time(at)
        except ValueError as exc:
            raise BranchError(f"--at {at.isoformat()}: {exc}") from None
        end = max(last.at, until) if until is not None else last.at
        if at < parent.starts_at:
            raise BranchError(
                f"fork point before the start: {parent_id} runs from {parent.starts_at.isoformat()} "
                f"to {end.isoformat()}"
            )
        if at > end:
            raise BranchError(
                f"fork point beyond the end: {parent_id} runs from {parent.starts_at.isoformat()} "
                f"to {end.isoformat()}"
            )
    kept = [e for e in parent_events if e.at <= fork_at]
    taken: list[Move] = [parse_move(e.move) for e in kept if isinstance(e, MoveInterjected)]
    branch_plan = plan or parent.plan
    initial = WorldState.initial(parent.initial)
    situation = Situation(
        plan=branch_plan,
        state=fold(initial, kept),
        clock=to_washington(fork_at),
        world=LogWorld(initial, kept, to_washington(fork_at)) if rules >= 3 else None,
    )
    for index, payload in enumerate(moves, start=1):
        try:
            taken.append(admit(payload, situation))
        except InvalidMove as exc:
            raise BranchError(f"--move {index}: {exc}") from None
    if rules < 3:
        # A branch of a run of the rules before draws its behaviour ahead, as that run did.
        drawn = _drawn(behaviour, seed, fork_at, branch_plan) if behaviour is not None else ()
        return parent.model_copy(
            update={
                "interjections": tuple(taken),
                "parent": parent_id,
                "root": parent.root or parent_id,
                "fork_seq": kept[-1].seq if kept else 0,
                "plan": branch_plan,
                "moves": (*parent.moves, *drawn),
                "seed": seed if behaviour is not None else parent.seed,
            }
        )
    if behaviour is not None:
        _check_vocabulary(behaviour, branch_plan)
    own = parent.behaviour
    if plan is not None and plan.behaviour is not None:
        # The variant applies from the fork on, its behaviour with it: it takes over there,
        # unless one is given; before the fork, what played in the parent plays on (nothing,
        # if nothing did, rather than the variant's from its plan's start).
        own = parent.behaviour or (parent.plan.behaviour if parent.plan is not None else None) or Behaviour()
        if behaviour is None:
            behaviour, behaviour_name = plan.behaviour, f"{plan.id}'s own"
    branch = parent.model_copy(
        update={
            "interjections": tuple(taken),
            "parent": parent_id,
            "root": parent.root or parent_id,
            "fork_seq": kept[-1].seq if kept else 0,
            "plan": branch_plan,
            # From the fork a behaviour plays the kinds of move it governs, in place of their
            # script and of whatever played them before.
            "takeovers": (
                *parent.takeovers,
                *(
                    [Takeover(behaviour=behaviour, at=to_washington(fork_at), seed=seed, name=behaviour_name)]
                    if behaviour is not None
                    else []
                ),
            ),
            "variant": (plan.id if plan is not None else parent.variant),
            "behaviour": own,
        }
    )
    if plan is not None:
        branch = replace(branch, moves=_variant_moves(parent, plan, fork_at))
        _keeps_its_past(branch, kept, rules, plan.id)
    return branch


def _variant_moves(parent: TimelineDefinition, plan: PlanDefinition, fork_at: datetime) -> tuple[Move, ...]:
    """The parent's moves up to the fork, the variant's after it. A move of the variant
    before the fork that the parent did not make would have to have happened already: the
    branch would rewrite its past, so it is refused, naming the move."""
    start = plan.starts_at
    before = tuple(m for m in parent.moves if (m.at or start) <= fork_at)
    for move in plan.moves:
        if (move.at or start) <= fork_at and move not in before:
            raise BranchError(
                f"--variant {plan.id}: its {move.kind.replace('_', ' ')} at "
                f"{to_washington(move.at or start).isoformat()} comes before the fork, and the parent had "
                "none: a variant applies from the fork on, so fork before it, or run the variant as a "
                "timeline of its own"
            )
    return (*before, *(m for m in plan.moves if (m.at or start) > fork_at))


def _keeps_its_past(branch: TimelineDefinition, kept: list[DomainEvent], rules: int, variant: str) -> None:
    """A variant applies from the fork on: a branch on it must reproduce its parent's events
    up to the fork byte for byte, or it would rewrite its past; refused in one line if not."""
    replayed = simulate(branch, rules)[: len(kept)]
    for mine, theirs in zip(replayed, kept, strict=False):
        if event_to_json(mine) != event_to_json(theirs):
            raise BranchError(
                f"--variant {variant} changes what happened before the fork, from seq {theirs.seq} "
                f"({theirs.type} at {theirs.at.isoformat()}): a variant applies from the fork on, so fork "
                "before that, or run the variant as a timeline of its own"
            )
    if len(replayed) < len(kept):
        raise BranchError(f"--variant {variant} changes what happened before the fork: it ends sooner")


def _check_vocabulary(behaviour: Behaviour, plan: PlanDefinition | None) -> None:
    """A behaviour names the tracks and allies the branch's plan knows."""
    for rule in behaviour.soviet:
        if rule.track not in vocabulary.tracks(plan):
            known = vocabulary.tracks(plan)
            raise BranchError(
                f"--behaviour: unknown track {rule.track!r} ({vocabulary.near(rule.track, known)})"
            )
    for ally in behaviour.allies:
        if ally.ally not in vocabulary.allies(plan):
            known = vocabulary.allies(plan)
            raise BranchError(
                f"--behaviour: unknown ally {ally.ally!r} ({vocabulary.near(ally.ally, known)})"
            )


def _drawn(
    behaviour: Behaviour, seed: int, fork_at: datetime, plan: PlanDefinition | None
) -> tuple[Move, ...]:
    """The behaviour's moves from the fork on: strictly after it, so that nothing the parent
    did at the fork instant itself can be reordered."""
    earliest = to_washington(fork_at + timedelta(minutes=1))
    drawn = tuple(
        move if move.at is not None and move.at >= earliest else replace(move, at=earliest)
        for move in behaviour.draw(seed, fork_at)
    )
    for move in drawn:
        for path, _, reason in vocabulary_problems(move, plan):
            raise BranchError(f"--behaviour: a drawn {move.kind}: {field_name(path)}: {reason}")
    return drawn
