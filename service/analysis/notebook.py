"""The analyst's API, for notebooks: the objects of the command line as pandas DataFrames.

    from service.analysis import notebook as ax

    run = ax.dry_run("memo-uncertain", seed=7)       # a plan run in-process: no server
    run.events                                       # a row per event: seq, at, type, provenance...
    run.states                                       # the world after each event
    what_if = ax.branch(run, at="1962-10-27T19:44-04:00",
                        moves=[{"kind": "soviet_reply", "track": "cuba", "answer": "reject"}])
    ensemble = ax.explore("memo-uncertain", runs=2000, seed=1)
    ensemble.outcomes, ensemble.members, ensemble.fan  # shares; a row per member; the fan chart's bands
    sweep = ax.sweep("memo-uncertain", {"behaviour.soviet.cuba.options.accept.p": "0.1..0.9"},
                     points=8, runs=300, seed=1)
    sweep.points                                     # a row per point: values, shares, intervals
    ax.discover(ensemble.members, "military_action")  # rules, with density and coverage

Every function here is a thin layer over the services the command line calls
(service.analysis.front, service.reading.plans, service.runs.control), never a second
implementation: `ax.explore(...)` gives the table `excomm explore` prints, member for member.
Durable runs on a server are `await control.status(...)`, `await control.branch(...)` and so on
(service.runs.control). Durations are in hours in columns whose names end in `_h`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.ensemble import EnsembleTable
from models.events import DomainEvent
from models.members import Row
from models.state import WorldState, apply
from models.timeline import TimelineDefinition
from service.analysis import front
from service.reading import plans

if TYPE_CHECKING:
    import pandas as pd

    from service.analysis.sweep import Sweep


def _frame(rows: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame.from_records(rows, columns=columns)


def events_frame(events: list[DomainEvent]) -> pd.DataFrame:
    """Events as a table: the fields every event has first, then each kind's own."""
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
    spread into a column each; lists are counted)."""
    rows, state = [], initial
    for event in events:
        state = apply(state, event)
        rows.append(_flat(state))
    return _frame(rows)


@dataclass(frozen=True)
class Run:
    """A timeline run in-process: its definition, its events, the world after each."""

    definition: TimelineDefinition
    initial: WorldState
    log: list[DomainEvent]

    @property
    def events(self) -> pd.DataFrame:
        return events_frame(self.log)

    @property
    def states(self) -> pd.DataFrame:
        return states_frame(self.initial, self.log)

    @property
    def outcome(self) -> str | None:
        from models.state import fold

        return fold(self.initial, self.log).outcome


def dry_run(name: str, seed: int = 0, settings: dict[str, str] | None = None) -> Run:
    """A plan or timeline run in-process on a virtual clock, as `excomm dry-run`; a plan's
    parameters set first with `settings` ({"deadline": "48h"}, as --set)."""
    done = plans.dry_run(name, seed, _settings(settings))
    return Run(done.definition, done.initial, done.events)


def member(name: str, index: int, ensemble_seed: int) -> Run:
    """Member `index` (from 0) of the ensemble of `name` seeded `ensemble_seed`, run alone."""
    from models.ensemble import member_seeds

    return dry_run(name, member_seeds(ensemble_seed, index + 1)[index])


def branch(
    parent: Run,
    *,
    at: str | datetime | None = None,
    after_seq: int | None = None,
    moves: list[dict[str, object]] | None = None,
) -> Run:
    """A branch of a run, in-process: the parent up to the fork, then these moves, taken by
    the same rules as `excomm branch` (service.runs.branching)."""
    from models.simulation import simulate
    from service.runs.branching import fork

    instant = datetime.fromisoformat(at) if isinstance(at, str) else at
    if instant is None and after_seq is None:
        raise ValueError("branch: give at= (an instant) or after_seq= (an event's seq)")
    definition = fork(
        parent.definition.id,
        parent.definition,
        parent.log,
        at=instant,
        after_seq=after_seq,
        moves=moves or [],
    )
    return Run(definition, parent.initial, list(simulate(definition)))


@dataclass
class Ensemble:
    """An ensemble's table (as `excomm explore` prints it) and a row per member."""

    table: EnsembleTable
    rows: list[Row] = field(default_factory=list)

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
        from service.analysis.tables import frame

        return frame(self.rows)

    @property
    def fan(self) -> pd.DataFrame:
        """The fan chart's data: by Washington day, the share of members at or above each rung."""
        from service.analysis.plot import fan_bands

        days, ladder, shares = fan_bands(self.table)
        rows = [
            {"day": day, **{rung: shares[i][d] for i, rung in enumerate(ladder)}}
            for d, day in enumerate(days)
        ]
        return _frame(rows, ["day", *ladder])

    def plot(self, path: str | Path) -> Path:
        """Draw the shares and the fan chart to a PNG or SVG file; returns where."""
        from service.analysis.plot import plot

        plot(self.table, Path(path))
        return Path(path).resolve()


def explore(
    variant: str,
    runs: int = 1000,
    seed: int = 0,
    settings: dict[str, str] | None = None,
    workers: int | None = None,
) -> Ensemble:
    """N seeded members of a variant in-process, every member on the record."""
    from service.analysis.explore import explore_recorded

    plan = plans.plan_with(variant, _settings(settings))
    table, rows = explore_recorded(plan, runs, seed, workers)
    return Ensemble(table, rows)


@dataclass
class SweepResult:
    """A sweep: a row per point, and a row per member of every point."""

    sweep: Sweep
    rows: list[Row] = field(default_factory=list)

    @property
    def points(self) -> pd.DataFrame:
        return self.sweep.frame()

    @property
    def members(self) -> pd.DataFrame:
        from service.analysis.tables import frame

        return frame(self.rows)

    def sobol(self, outcome: str = "military_action") -> pd.DataFrame:
        """Sobol indices of the outcome's share (a sweep sampled with sampler="saltelli")."""
        return front.sobol(self.points, outcome)

    def plot(self, path: str | Path) -> Path:
        from service.analysis.plot import plot_sweep

        plot_sweep(self.sweep, Path(path))
        return Path(path).resolve()


def sweep(
    variant: str,
    vary: dict[str, str],
    points: int = 16,
    runs: int = 500,
    seed: int = 0,
    sampler: str = "lhs",
    workers: int | None = None,
    members: bool = True,
) -> SweepResult:
    """Each parameter of `vary` ({"deadline": "24h..120h"}, as --vary) sampled over its range,
    an ensemble at each point."""
    from service.analysis.sweep import sweep_locally

    plan = plans.plan_with(variant)
    ranges = front.ranges(plan, [f"{path}={span}" for path, span in vary.items()])
    result, rows = sweep_locally(plan, ranges, points, runs, seed, sampler, workers, record=members)
    return SweepResult(result, rows)


def discover(members: pd.DataFrame, outcome: str = "military_action", rules: int = 3) -> pd.DataFrame:
    """Rules under which an outcome happens among members: a row per rule, with its
    density (share of its members with the outcome) and coverage (share of all of them)."""
    return front.rules_table(front.discover(members, outcome, rules))


def read(path: str | Path) -> pd.DataFrame:
    """A members file or a sweep's table written by the command line."""
    return front.read_members(Path(path))


def _settings(settings: dict[str, str] | None) -> list[str]:
    return [f"{path}={value}" for path, value in (settings or {}).items()]
