"""The analyst's API, for notebooks: what the command line does for an analyst, as pandas.

    from service.analysis import notebook as ax

    run = ax.dry_run("memo-uncertain", seed=7)       # a plan run in-process: no server
    run.events                                       # a row per event: seq, at, type, provenance...
    run.states                                       # the world after each event
    what_if = ax.branch(run, at="1962-10-27T19:44-04:00",
                        moves=[{"kind": "soviet_reply", "track": "cuba", "answer": "reject"}])
    other = ax.branch(run, at="1962-10-27T08:00-04:00", behaviour="memo-uncertain", seed=3)
    ensemble = ax.explore("memo-uncertain", runs=2000, seed=1)
    ensemble.outcomes, ensemble.members, ensemble.fan  # shares; a row per member; the fan chart
    sweep = ax.sweep("memo-uncertain", {"deadline": "24h..120h"}, points=8, runs=300, seed=1)
    sweep.points                                     # a row per point: values, shares, intervals
    ax.discover(ensemble.members, "military_action")  # rules, with density and coverage
    durable = ax.run("memo-1962")                    # through Temporal, as `excomm run`
    ax.open(durable.run_id).events                   # the events of any run, by its id

Every function is a thin layer over the services the command line calls
(service.analysis.front, service.reading.plans, service.runs.control), with the same checks
(service.inputs): `ax.explore(...)` gives the table `excomm explore` prints, member for
member. Every failure is an `ExcommError` (`ax.ExcommError`) with a one-line message that
names the function's parameters. Every column of instants (`at`, `*_at`, `*.at`) holds
timezone-aware datetimes in Washington time; durations are in hours in columns whose names
end in `_h`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from models.engine import RULES
from models.ensemble import EnsembleTable
from models.errors import ExcommError
from models.events import DomainEvent
from models.members import Row
from models.state import WorldState, apply, fold
from models.timeline import TimelineDefinition
from service import inputs
from service.analysis import front
from service.errors import BadUsage, Refused
from service.reading import plans
from timelines.safe_yaml import FileProblems

if TYPE_CHECKING:
    import pandas as pd

    from service.analysis.sweep import Sweep

__all__ = [
    "Ensemble",
    "ExcommError",
    "Run",
    "SweepResult",
    "branch",
    "discover",
    "dry_run",
    "events_frame",
    "explore",
    "member",
    "open",
    "read",
    "run",
    "sobol",
    "states_frame",
    "sweep",
]

P = ParamSpec("P")
T = TypeVar("T")
WASHINGTON = "America/New_York"


def _said(func: Callable[P, T]) -> Callable[P, T]:
    """Failures as excomm's errors in one line, naming parameters rather than flags."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except ExcommError as exc:
            said = exc.summary() if isinstance(exc, FileProblems) else str(exc) or type(exc).__name__
            exc.args = (inputs.in_parameters(said.splitlines()[0]),)
            raise exc.with_traceback(None) from None

    return wrapper


def _wait(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a call to Temporal to its end, from a plain script or from a notebook's kernel
    (whose event loop already runs: the call then runs on a loop of its own thread)."""
    from service.runtime.calls import run_call

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run_call(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run_call, coroutine).result()


def _frame(rows: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    import pandas as pd

    return _instants(pd.DataFrame.from_records(rows, columns=columns))


# An instant as excomm writes one: ISO 8601 with its UTC offset.
_INSTANT = r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)$"


def _instants(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column of instants (`at`, `*_at`, `*.at`, a deadline...: any column whose
    values are all ISO 8601 instants) as timezone-aware datetimes in Washington time. Their
    offsets mix EDT and EST, so they are read as UTC and shown in Washington."""
    import pandas as pd

    for name in frame.columns:
        column = frame[name]
        named = str(name) == "at" or str(name).endswith(("_at", ".at"))  # an instant even when empty
        if not named and not pd.api.types.is_string_dtype(column):
            continue
        present = column.dropna()
        written = present.map(lambda v: isinstance(v, str)).all() and present.str.match(_INSTANT).all()
        if (named and (present.empty or written)) or (not present.empty and written):
            frame[name] = pd.to_datetime(column, utc=True, format="ISO8601").dt.tz_convert(WASHINGTON)
    return frame


def events_frame(events: list[DomainEvent]) -> pd.DataFrame:
    """Events as a table: the fields every event has first, then each kind's own.

    >>> ax.events_frame(ax.dry_run("memo").log)[["seq", "at", "type"]].head(3)
    """
    first = ["seq", "at", "type", "provenance", "actor", "step", "summary", "sources"]
    rows = []
    for event in events:
        row = event.model_dump(mode="json")
        row["sources"] = "; ".join(row.get("sources") or ())
        rows.append(row)
    frame = _frame(rows)
    ordered = [c for c in first if c in frame] + [c for c in frame.columns if c not in first]
    return frame[ordered]


def _flat(state: WorldState) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in state.model_dump(mode="json").items():
        if isinstance(value, dict) and all(not isinstance(v, dict | list) for v in value.values()):
            row.update({f"{name}.{key}": v for key, v in value.items()})
        elif isinstance(value, dict | list):
            row[name] = len(value)  # channels, messages in transit, terms: how many
        else:
            row[name] = value
    return row


def states_frame(initial: WorldState, events: list[DomainEvent]) -> pd.DataFrame:
    """The world after each event, a row per event (dicts such as DEFCON by command are
    spread into a column each; lists are counted).

    >>> run = ax.dry_run("memo")
    >>> ax.states_frame(run.initial, run.log)[["at", "quarantine", "outcome"]].tail(1)
    """
    rows, state = [], initial
    for event in events:
        state = apply(state, event)
        rows.append(_flat(state))
    return _frame(rows)


@dataclass(frozen=True, repr=False)
class Run:
    """A timeline run, in-process or read back from a durable run: its definition (None
    for a run whose definition excomm cannot read back), its events, the world after each.

    >>> run = ax.dry_run("memo-1962")
    >>> run.outcome, len(run.events)
    """

    definition: TimelineDefinition | None
    """The timeline it ran (a plan's, with its seed and settings); None if it cannot be read."""
    initial: WorldState
    """The world before its first event."""
    log: list[DomainEvent]
    """Its events, as excomm's typed domain events (`events` is the same as a table)."""
    run_id: str | None = None
    """A durable run's id; None for a run in-process."""
    rules: int = RULES
    """The engine's rules it ran under (a durable run keeps its own)."""

    def __repr__(self) -> str:
        name = self.run_id or (self.definition.id if self.definition else "a run")
        return f"<Run {name}: {len(self.log)} events, outcome {self.outcome}>"

    @property
    def events(self) -> pd.DataFrame:
        """A row per event: seq, at (Washington time), type, provenance, actor, step,
        summary, sources, then each kind's own fields."""
        return events_frame(self.log)

    @property
    def states(self) -> pd.DataFrame:
        """A row per event: the world just after it (at, DEFCON by command, quarantine,
        tracks, outcome...)."""
        return states_frame(self.initial, self.log)

    @property
    def world(self) -> WorldState:
        """The world at the end."""
        return fold(self.initial, self.log)

    @property
    def outcome(self) -> str | None:
        """How it ended: negotiated_withdrawal, military_action, or None (unresolved)."""
        return self.world.outcome


@_said
def dry_run(name: str, seed: int = 0, settings: dict[str, str] | None = None) -> Run:
    """A plan or timeline run in-process on a virtual clock, as `excomm dry-run`; a plan's
    parameters set first with `settings`.

    >>> ax.dry_run("memo-uncertain", seed=7, settings={"deadline": "48h"}).outcome
    """
    done = plans.dry_run(name, inputs.seed(seed), _settings(settings))
    return Run(done.definition, done.initial, done.events)


@_said
def member(name: str, index: int, ensemble_seed: int) -> Run:
    """Member `index` (from 0, as the members table numbers them) of the ensemble of
    `name` seeded `ensemble_seed`, run alone.

    >>> ax.member("memo-uncertain", 8, ensemble_seed=7).events
    """
    return dry_run(name, inputs.seed(0, index, ensemble_seed))


@_said
def run(
    name: str,
    seed: int = 0,
    settings: dict[str, str] | None = None,
    run_id: str | None = None,
    replace: bool = False,
) -> Run:
    """A plan or timeline run durably through Temporal to its end, as `excomm run` (the
    home's server is started if none is configured or running); its events are the run's.

    >>> durable = ax.run("memo-1962")
    >>> durable.run_id, durable.outcome
    """
    from service.runs import control

    definition = plans.timeline_with(name, inputs.seed(seed), _settings(settings))
    chosen, _ = _wait(control.replay(definition, run_id=run_id, replace=replace))
    initial, events = _wait(control.timeline_events(chosen))
    return Run(definition, initial, events, chosen, RULES)


@_said
def open(name_or_id: str) -> Run:
    """The events of a catalogue timeline, a file, or a run by its id (from the event
    store, else from the server). A run's definition and engine rules are its own, read
    from its history on the server; with no server that holds it, it cannot be branched
    here (its events and states can still be read).

    >>> ax.open("october-1962").states.tail(1)
    """
    from service.runs import control
    from timelines.loader import is_catalogue_name, load_timeline

    initial, events = _wait(control.timeline_events(name_or_id))
    if is_catalogue_name(name_or_id) or not control.could_be_run_id(name_or_id):
        return Run(load_timeline(name_or_id), initial, events)
    started = _wait(control.run_input(name_or_id))
    if started is None:
        return Run(None, initial, events, name_or_id)
    return Run(started.timeline, initial, events, name_or_id, started.rules)


@_said
def branch(
    parent: Run,
    *,
    at: str | datetime | None = None,
    after_seq: int | None = None,
    moves: list[dict[str, object]] | None = None,
    variant: str | None = None,
    behaviour: str | None = None,
    seed: int = 0,
) -> Run:
    """A branch of a run, in-process: the parent up to the fork (an instant `at`, or after
    the event `after_seq`), then `moves` taken there, a `variant`'s plan and a `behaviour`
    (a plan or file, drawn with `seed`) from the fork on, by the same rules as `excomm branch`.

    >>> run = ax.dry_run("memo-1962")
    >>> ax.branch(run, at="1962-10-27T08:00-04:00", behaviour="memo-uncertain", seed=3).outcome
    """
    from models.simulation import simulate
    from service.runs.branching import fork
    from timelines.loader import load_behaviour, plan_of

    if (at is None) == (after_seq is None):
        raise BadUsage("give exactly one of --at or --after-seq")
    if parent.definition is None:
        raise Refused(
            f"the definition of run {parent.run_id} cannot be read: its server does not hold it "
            "(start the server that ran it, or branch it durably with `excomm branch`)"
        )
    if at is not None and not isinstance(at, str | datetime):
        raise BadUsage(f"invalid --at {at!r}: an ISO 8601 instant with offset, or a datetime with its tzinfo")
    instant = inputs.instant(at) if isinstance(at, str) else inputs.aware(at) if at is not None else None
    if after_seq is not None:
        inputs.bounded("--after-seq", after_seq, 0, inputs.MAX_SEQ, "an event's seq, from 0")
    if moves is not None and not isinstance(moves, list | tuple):
        raise BadUsage("invalid moves: a list of moves, each a mapping, as [{'kind': 'soviet_reply', ...}]")
    definition = fork(
        parent.run_id or parent.definition.id,
        parent.definition,
        parent.log,
        at=instant,
        after_seq=after_seq,
        moves=moves or [],
        plan=_named("variant", plan_of, variant) if variant is not None else None,
        behaviour=_named("behaviour", load_behaviour, behaviour) if behaviour is not None else None,
        seed=inputs.seed(seed),
        rules=parent.rules,
        behaviour_name=behaviour,
    )
    events = list(simulate(definition, parent.rules))
    kept = definition.fork_seq or 0
    if [e.model_dump_json() for e in events[:kept]] != [e.model_dump_json() for e in parent.log[:kept]]:
        # A run's past is what it recorded: a branch that computes another is refused.
        raise Refused(f"the branch does not reproduce its parent's {kept} events before the fork")
    return Run(definition, parent.initial, events, None, parent.rules)


@dataclass(repr=False)
class Ensemble:
    """An ensemble's table (as `excomm explore` prints it) and a row per member.

    >>> ensemble = ax.explore("memo-uncertain", runs=1000, seed=1)
    >>> ensemble.outcomes
    """

    table: EnsembleTable
    """The table `excomm explore` prints: outcome shares, days, rungs, refusals, settings."""
    rows: list[Row] = field(default_factory=list)
    """A row per member, as plain values (`members` is the same as a DataFrame)."""

    def __repr__(self) -> str:
        shares = ", ".join(f"{o.outcome} {o.share:.1%}" for o in self.table.outcomes)
        return f"<Ensemble {self.table.variant}: {self.table.runs} members, seed {self.table.seed}: {shares}>"

    @property
    def outcomes(self) -> pd.DataFrame:
        """A row per outcome: members, share, and its 95% interval (Wilson)."""
        return _frame(
            [
                {"outcome": o.outcome, "runs": o.runs, "share": o.share, "low": o.ci95[0], "high": o.ci95[1]}
                for o in self.table.outcomes
            ],
            ["outcome", "runs", "share", "low", "high"],
        )

    @property
    def members(self) -> pd.DataFrame:
        """A row per member, as `excomm explore --members` writes it: its seed, what it
        drew, what happened (each answer, how long after what it answered reached its
        side, refused moves), its outcome and when."""
        from service.analysis.tables import frame

        return _instants(frame(self.rows))

    @property
    def fan(self) -> pd.DataFrame:
        """The fan chart's data: by Washington day, the share of members in each state
        (settled, each rung of the ladder, no rung yet), with 95% intervals."""
        from service.analysis.plot import fan_frame

        return fan_frame(self.table)

    @_said
    def plot(self, path: str | Path) -> Path:
        """Draw the shares and the fan chart to a PNG or SVG file; returns where."""
        front.plot_to(self.table, Path(path))
        return Path(path).resolve()


@_said
def explore(
    variant: str,
    runs: int = 1000,
    seed: int = 0,
    settings: dict[str, str] | None = None,
    workers: int | None = None,
) -> Ensemble:
    """`runs` seeded members of a plan in-process, as `excomm explore`, every member on
    the record; a plan's parameters set first with `settings`.

    >>> ax.explore("memo-uncertain", runs=2000, seed=1, settings={"transit.cable": "8h"}).outcomes
    """
    from service.analysis.explore import explore_recorded

    inputs.ensemble(runs, seed, workers)
    plan = plans.plan_with(variant, _settings(settings))
    table, rows = explore_recorded(plan, runs, seed, workers)
    return Ensemble(table.model_copy(update={"settings": _settings(settings)}), rows)


@dataclass(repr=False)
class SweepResult:
    """A sweep: a row per point, and a row per member of every point.

    >>> result = ax.sweep("memo-uncertain", {"deadline": "24h..120h"}, points=4, runs=200)
    >>> result.points[["deadline", "share.military_action"]]
    """

    sweep: Sweep
    """The sweep as the command line has it: its ranges, design and each point's table."""
    rows: list[Row] = field(default_factory=list)
    """A row per member of every point, as plain values (`members` as a DataFrame)."""

    def __repr__(self) -> str:
        varied = ", ".join(r.parameter.path for r in self.sweep.ranges)
        return (
            f"<SweepResult {self.sweep.variant}: {len(self.sweep.points)} points ({self.sweep.sampler}) "
            f"over {varied}, {self.sweep.runs} members each>"
        )

    @property
    def points(self) -> pd.DataFrame:
        """A row per point: its values (and, for a Soviet answer's weight, the chance per
        reply it gives), its members, each outcome's share with a 95% interval, and the
        moves the world refused."""
        return _instants(self.sweep.frame())

    @property
    def members(self) -> pd.DataFrame:
        """A row per member of every point (its point, values, draws and outcome)."""
        from service.analysis.tables import frame

        return _instants(frame(self.rows))

    def sobol(self, outcome: str = "military_action") -> pd.DataFrame:
        """Sobol indices of the outcome's share (a sweep sampled with sampler="saltelli")."""
        return sobol(self.points, outcome)

    @_said
    def plot(self, path: str | Path) -> Path:
        """Draw the outcome shares over the points (and, for two parameters, military
        action's share as a cell per point) to a PNG or SVG file; returns where."""
        front.sweep_plot_to(self.sweep, Path(path))
        return Path(path).resolve()


@_said
def sweep(
    variant: str,
    vary: dict[str, str],
    points: int = 16,
    runs: int = 500,
    seed: int = 0,
    sampler: str = "lhs",
    workers: int | None = None,
    members: bool = True,
    settings: dict[str, str] | None = None,
) -> SweepResult:
    """Each parameter of `vary` sampled over its range ("lhs", "sobol", "grid" or
    "saltelli"), an ensemble of `runs` members at each point, as `excomm sweep`.

    >>> ax.sweep("memo-uncertain", {"deadline": "24h..120h"}, points=8, runs=300, seed=1).points
    """
    from service.analysis.sweep import sweep_locally

    if not isinstance(vary, dict):
        raise BadUsage(
            "invalid --vary: a mapping of each parameter's path to its range, as {'deadline': '24h..120h'}"
        )
    inputs.ensemble(runs, seed, workers)
    inputs.sweep(points, sampler, runs)
    plan = plans.plan_with(variant, _settings(settings))
    ranges = front.ranges(plan, [f"{path}={span}" for path, span in vary.items()])
    result, rows = sweep_locally(plan, ranges, points, runs, seed, sampler, workers, record=members)
    return SweepResult(result, rows)


@_said
def discover(
    members: pd.DataFrame,
    outcome: str = "military_action",
    rules: int = 3,
    depth: int = 3,
    min_leaf: float = 0.02,
) -> pd.DataFrame:
    """Rules under which an outcome happens among members, as `excomm discover`: a row
    per rule, with the members in its box, its hits, all members with the outcome, its
    density (hits / members) and coverage (hits / all with the outcome). A rule has at
    most `depth` conditions and its box at least `min_leaf` of the members.

    >>> ax.discover(ensemble.members, "military_action", depth=4, min_leaf=0.01)
    """
    return front.rules_table(front.discover(members, outcome, rules, depth, min_leaf))


@_said
def sobol(points: pd.DataFrame | str | Path, outcome: str = "military_action") -> pd.DataFrame:
    """Sobol indices (first order and total, with 95% intervals) of an outcome's share,
    over a sweep's points sampled with Saltelli's scheme: a `SweepResult.points` frame or
    a sweep's table written by `excomm sweep --table`.

    >>> ax.sobol("sweep.parquet", "military_action")
    """
    table = front.read_members(Path(points)) if isinstance(points, str | Path) else points
    return front.sobol(table, outcome)


@_said
def read(path: str | Path) -> pd.DataFrame:
    """A members file or a sweep's table written by the command line (Parquet, CSV or
    JSON Lines).

    >>> members = ax.read("members.parquet")
    """
    return _instants(front.read_members(Path(path)))


def _settings(settings: dict[str, str] | None) -> list[str]:
    if settings is not None and not isinstance(settings, dict):
        raise BadUsage(
            "invalid --set: a mapping of each parameter's path to its value, as {'deadline': '48h'}"
        )
    return [f"{path}={value}" for path, value in (settings or {}).items()]


def _named(parameter: str, load: Callable[[str], T], name: str) -> T:
    """A plan or behaviour by name or file, a wrong one said of its parameter."""
    from timelines.loader import UnknownTimeline

    try:
        return load(name)
    except UnknownTimeline as exc:
        raise BadUsage(f"invalid {parameter} {name!r}: {exc}") from None
