"""Ensembles: many seeded runs of a plan, and the table of what came of them.

Members are seeded from the ensemble's seed: `member_seeds(S, N)` draws N distinct seeds
with `random.Random(S)`, so any member can be run again on its own, durably, with
`excomm run VARIANT --seed <its seed>`, and gives the same event log. A batch of members
is summed into a `Tally` of counts; tallies add up in any order, so the table is the same
whichever runtime, worker or batch size computed it.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from models import events as ev
from models.consequences import follow
from models.engine import RULES, Scheduler
from models.members import ENDINGS, NO_ANSWER, RUNGS, Row, member_row, reached_outcome
from models.memo import MemoPlan
from models.moves import Move
from models.plan import PlanDefinition
from models.reactions import play
from models.simulation import build
from models.state import WorldState
from models.timeline import InitialWorld, TimelineDefinition
from models.trusted import construct
from models.washington import washington_date

Z_95 = 1.959963984540054


def member_seeds(seed: int, runs: int) -> list[int]:
    rng = random.Random(seed)
    seeds: list[int] = []
    seen: set[int] = set()
    while len(seeds) < runs:
        candidate = rng.getrandbits(31)
        if candidate not in seen:
            seen.add(candidate)
            seeds.append(candidate)
    return seeds


def member(
    plan: PlanDefinition, seed: int, drawn: tuple[Move, ...] | None = None, rules: int = RULES
) -> TimelineDefinition:
    """One member of an ensemble: the plan as a timeline, with `seed` for its behaviour,
    which the engine plays (rules 3); under the rules before, the moves drawn with it ahead
    (or the moves already drawn with it)."""
    if drawn is None:
        ahead = plan.behaviour is not None and rules < 3
        drawn = plan.behaviour.draw(seed, plan.starts_at) if ahead and plan.behaviour is not None else ()
    # From a validated plan and its drawn moves, which fall after its start: see models.trusted.
    return construct(
        TimelineDefinition,
        id=plan.id,
        version=plan.version,
        title=plan.title,
        description=plan.description,
        starts_at=plan.starts_at,
        plan=plan,
        moves=(*plan.moves, *drawn),
        seed=seed if plan.behaviour is not None else None,
    )


class Tally(BaseModel):
    """Counts over some members: outcomes, the day each outcome was reached, rungs touched."""

    model_config = ConfigDict(frozen=True)

    runs: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)
    days: dict[str, dict[str, int]] = Field(default_factory=dict, description="outcome -> day -> runs")
    rungs: dict[str, int] = Field(default_factory=dict, description="rung -> runs that touched it")
    rung_days: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="rung -> day first reached -> runs (the fan chart)"
    )
    refused: int = Field(default=0, description="moves drawn that the world's rules did not admit")
    members_refused: int = Field(default=0, description="members with at least one such move")

    def __add__(self, other: Tally) -> Tally:
        def add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
            return dict(sorted((Counter(a) + Counter(b)).items()))

        def add_nested(
            a: dict[str, dict[str, int]], b: dict[str, dict[str, int]]
        ) -> dict[str, dict[str, int]]:
            return {k: add(a.get(k, {}), b.get(k, {})) for k in sorted(a.keys() | b.keys())}

        return Tally(
            runs=self.runs + other.runs,
            outcomes=add(self.outcomes, other.outcomes),
            days=add_nested(self.days, other.days),
            rungs=add(self.rungs, other.rungs),
            rung_days=add_nested(self.rung_days, other.rung_days),
            refused=self.refused + other.refused,
            members_refused=self.members_refused + other.members_refused,
        )


def tally_outcome(events: Iterable[ev.DomainEvent]) -> Tally:
    """The tally of one whole run, from its events."""
    return _count([_what_came(events)])


_COUNTED = frozenset((*RUNGS, *ENDINGS, ev.EventSuppressed))  # the only events a tally reads
_Came = tuple[str, str, dict[str, str], int]


def _what_came(events: Iterable[ev.DomainEvent]) -> _Came:
    """(outcome, the Washington day it was reached, rung -> the day first reached, moves
    the world refused)."""
    outcome, day = NO_ANSWER, NO_ANSWER
    reached: dict[str, str] = {}
    refused = 0
    for event in events:
        if type(event) not in _COUNTED:  # most events: one look-up (classes are never subclassed)
            continue
        if type(event) is ev.EventSuppressed:
            refused += event.cause == "refused"
            continue
        if isinstance(event, RUNGS):
            reached.setdefault(event.rung, washington_date(event.at).isoformat())
        if outcome == NO_ANSWER and (first := reached_outcome(event)) is not None:
            outcome, day = first, washington_date(event.at).isoformat()
    return outcome, day, reached, refused


def _count(results: Iterable[_Came]) -> Tally:
    runs = refused = members_refused = 0
    outcomes: Counter[str] = Counter()
    days: dict[str, Counter[str]] = {}
    rungs: Counter[str] = Counter()
    rung_days: dict[str, Counter[str]] = {}
    for outcome, day, reached, turned_down in results:
        runs += 1
        refused += turned_down
        members_refused += turned_down > 0
        outcomes[outcome] += 1
        days.setdefault(outcome, Counter())[day] += 1
        for rung, first in reached.items():
            rungs[rung] += 1
            rung_days.setdefault(rung, Counter())[first] += 1
    return Tally(
        runs=runs,
        outcomes=dict(sorted(outcomes.items())),
        days={k: dict(sorted(v.items())) for k, v in sorted(days.items())},
        rungs=dict(sorted(rungs.items())),
        rung_days={k: dict(sorted(v.items())) for k, v in sorted(rung_days.items())},
        refused=refused,
        members_refused=members_refused,
    )


def run_batch(plan: PlanDefinition, seeds: Iterable[int]) -> Tally:
    """Simulate members in-process, each to its end (a move the world refuses may come
    after the outcome), and count what came of them."""
    course = _Courses(plan)
    return _count(_what_came(course.of(seed).run_to_end()) for seed in seeds)


class _Courses:
    """The members of a plan ready to run, as `build(member(plan, seed))` gives them, with
    what they have in common made once: an ensemble runs thousands.

    A member's timeline is the plan's, with the plan's moves and its drawn ones, and no
    scripted events or analysts' moves; so its scheduler is set up here straight from the
    plan, without a TimelineDefinition in between. Its initial state is the same for every
    member and shared: a scheduler never changes the state it was given (see
    `Scheduler.state`)."""

    def __init__(self, plan: PlanDefinition) -> None:
        self.plan = plan
        self.initial = WorldState.initial(InitialWorld())  # a member's timeline's default
        self.side = plan.side

    def of(self, seed: int) -> Scheduler:
        plan = self.plan
        world = Scheduler(self.initial, plan.starts_at, RULES, self.side, plan.transit)
        world.schedule_moves(plan.moves)
        if plan.behaviour is not None:
            play(world, plan.behaviour, seed, plan.starts_at)
        follow(world)
        world.start(MemoPlan(plan, world).run())
        return world


def run_recorded(
    plan: PlanDefinition, seeds: Sequence[int], first: int = 0, varied: Row | None = None
) -> tuple[Tally, list[Row]]:
    """Simulate members in-process, each to the end of its log, and give the tally and a
    row per member (models.members), numbered from `first`; `varied` are the values of the
    parameters a sweep set, written into every row."""
    rows: list[Row] = []
    results = []
    for index, seed in enumerate(seeds, start=first):
        # The whole log, as `excomm run VARIANT --seed S` records it.
        events = build(member(plan, seed)).run_to_end()
        results.append(_what_came(events))
        rows.append(member_row(plan, index, seed, events, varied))
    return _count(results), rows


class OutcomeShare(BaseModel):
    outcome: str
    runs: int
    share: float
    ci95: tuple[float, float] = Field(description="Wilson score interval")


class EnsembleTable(BaseModel):
    variant: str
    version: int
    seed: int
    runs: int
    outcomes: list[OutcomeShare]
    days: dict[str, dict[str, int]]
    rungs: dict[str, int]
    rung_days: dict[str, dict[str, int]]
    ladder: list[str] = Field(default_factory=list, description="the plan's rungs, lowest first")
    refused: int = Field(default=0, description="moves its behaviours drew that the world did not admit")
    members_refused: int = Field(default=0, description="members with at least one such move")
    settings: list[str] = Field(
        default_factory=list, description="the plan's parameters set for it, as PATH=VALUE (--set)"
    )
    runtime: str
    workers: int
    elapsed_s: float


def wilson(successes: int, runs: int) -> tuple[float, float]:
    if runs == 0:
        return (0.0, 0.0)
    p = successes / runs
    denominator = 1 + Z_95**2 / runs
    centre = (p + Z_95**2 / (2 * runs)) / denominator
    spread = Z_95 * math.sqrt(p * (1 - p) / runs + Z_95**2 / (4 * runs**2)) / denominator
    return (round(max(0.0, centre - spread), 6), round(min(1.0, centre + spread), 6))


def table(
    plan: PlanDefinition, seed: int, tally: Tally, runtime: str, workers: int, elapsed_s: float
) -> EnsembleTable:
    return EnsembleTable(
        variant=plan.id,
        version=plan.version,
        seed=seed,
        runs=tally.runs,
        outcomes=[
            OutcomeShare(outcome=o, runs=n, share=round(n / tally.runs, 6), ci95=wilson(n, tally.runs))
            for o, n in sorted(tally.outcomes.items(), key=lambda item: (-item[1], item[0]))
        ],
        days=tally.days,
        rungs=tally.rungs,
        rung_days=tally.rung_days,
        ladder=[rung.rung for rung in plan.ladder],
        refused=tally.refused,
        members_refused=tally.members_refused,
        runtime=runtime,
        workers=workers,
        elapsed_s=round(elapsed_s, 3),
    )
