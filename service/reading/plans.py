"""Plans and timelines as data, for designers: the catalogue, a file checked, a plan drawn,
two plans compared, a dry run on a virtual clock, a cited source. No server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.events import DomainEvent
from models.outline import outline
from models.plan import PlanDefinition
from models.simulation import initial_state, simulate
from models.state import WorldState, fold
from models.timeline import TimelineDefinition
from service.errors import Invalid
from service.reading.graph import mermaid, mermaid_timeline
from service.reading.plan_diff import plan_diff
from timelines.citations import Source
from timelines.citations import resolve as resolve_citation
from timelines.loader import (
    catalogue_names,
    load_any,
    load_timeline,
    plan_of,
)

if TYPE_CHECKING:
    pass


# --- plans and timelines as data (no server) -------------------------------------------


def catalogue() -> list[TimelineDefinition]:
    """The catalogue's timelines and plans, as timelines."""
    return [load_timeline(name) for name in catalogue_names()]


def check(name_or_path: str) -> PlanDefinition | TimelineDefinition:
    """Load a file (or catalogue entry) as `validate` does; raises FileProblems."""
    return load_any(name_or_path)


def graph(name: str) -> str:
    """A plan (or a timeline's plan) as a Mermaid flowchart; the record as a Mermaid timeline."""
    loaded = load_any(name)
    if isinstance(loaded, PlanDefinition):
        return mermaid(loaded)
    return mermaid(loaded.plan) if loaded.plan is not None else mermaid_timeline(loaded)


def diff_variant(base: str, variant: str) -> list[str]:
    return plan_diff(plan_of(base), plan_of(variant))


def plan_outline(name: str) -> tuple[PlanDefinition, list[tuple[int, str, str]]]:
    definition = plan_of(name)
    return definition, outline(definition)


@dataclass(frozen=True)
class DryRun:
    definition: TimelineDefinition
    initial: WorldState
    events: list[DomainEvent]
    world: WorldState
    elapsed_s: float


def dry_run(name: str, seed: int, settings: list[str] | None = None) -> DryRun:
    """Run a plan or timeline in-process on a virtual clock: no server."""
    definition = timeline_with(name, seed, settings)
    started = time.perf_counter()
    events = simulate(definition)
    elapsed = time.perf_counter() - started
    initial = initial_state(definition)
    return DryRun(definition, initial, list(events), fold(initial, events), elapsed)


def source(citation: str) -> Source:
    found = resolve_citation(citation)
    if found is None:
        raise Invalid(
            f"no source {citation!r}: cite a FRUS document as 'FRUS 1961-63 v06 d65' or "
            "'FRUS 1961-63 v10-12 mSupp 365', or a work by its key in timelines/sources/bibliography.yaml"
        )
    return found


def plan_with(variant: str, settings: list[str] | None = None) -> PlanDefinition:
    """A plan by name or file, with each `PATH=VALUE` of `settings` set (models.parameters)."""
    from models.parameters import with_settings

    return with_settings(plan_of(variant), settings or [])


def timeline_with(name: str, seed: int = 0, settings: list[str] | None = None) -> TimelineDefinition:
    """A timeline by name or file; or a plan's, its parameters set and its behaviour drawn
    with `seed`: the member an ensemble of that plan runs with that seed."""
    if not settings:
        return load_timeline(name, seed)
    from models.ensemble import member

    loaded = load_any(name)
    if not isinstance(loaded, PlanDefinition):
        raise Invalid(f"--set changes a plan's parameters, and {name} is a timeline: set them in its plan")
    return member(plan_with(name, settings), seed)
