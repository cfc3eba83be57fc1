"""The day-by-day chronicle of a timeline, as an educator reads it.

Every event is marked with what kind of statement it is, so that no reader takes a plan's
action or a counterfactual for the record. The chronicle can also be read as one side
knew it: each event then comes when that side learned of it, with the hour it happened.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import date, datetime

from rich.console import Console
from rich.table import Table

from models.events import DomainEvent, known_at
from models.sides import Side
from models.state import WorldState, apply
from models.washington import to_washington, washington_date, written
from service.reading.text import literal

# How each kind of statement is marked; the record goes unmarked, it is the default.
MARKS = {
    "historical": "",
    "plan": "[bold magenta]PLAN[/bold magenta] ",
    "counterfactual": "[bold red]COUNTERFACTUAL[/bold red] ",
    "derived": "[dim]derived[/dim] ",
}


def state_changes(before: WorldState, after: WorldState) -> list[str]:
    """The changes worth a line in a chronicle: readiness, quarantine, missiles, outcome."""
    lines: list[str] = []
    for command, level in after.defcon.items():
        if before.defcon.get(command) != level:
            lines.append(f"DEFCON {command}: {before.defcon.get(command)} -> {level}")
    for label, old, new in (
        ("quarantine", before.quarantine, after.quarantine),
        ("missiles in Cuba", before.missiles, after.missiles),
        ("negotiations", before.negotiation_level, after.negotiation_level),
        ("escalation", before.escalation_rung, after.escalation_rung),
        ("outcome", before.outcome, after.outcome),
    ):
        if old != new:
            lines.append(f"{label}: {old or 'none'} -> {new}")
    if after.alliance_cohesion != before.alliance_cohesion:
        lines.append(f"alliance cohesion: {before.alliance_cohesion:g} -> {after.alliance_cohesion:g}")
    for country, status in after.jupiters.items():
        if before.jupiters.get(country) != status:
            lines.append(f"Jupiters in {country}: {before.jupiters.get(country)} -> {status}")
    return lines


class Chronicle:
    """Prints events as they come, with a heading for each Washington day.

    Read as a side (`side`), an event waits until the side learned of it: events are fed
    in the order they happened, so one is printed once an event as late as its learning
    has been fed, and the rest when the chronicle is closed."""

    def __init__(
        self, console: Console, initial: WorldState, with_sources: bool = True, side: Side | None = None
    ) -> None:
        self.console = console
        self.state = initial
        self.with_sources = with_sources
        self.side = side
        self._day: date | None = None
        self._waiting: list[tuple[datetime, int, DomainEvent]] = []

    def feed(self, events: Iterable[DomainEvent]) -> None:
        for event in events:
            if self.side is None:
                self._print(event, event.at)
                continue
            learned = known_at(event, self.side)
            if learned is None:
                continue  # the side never learned of it: its chronicle does not tell it
            heapq.heappush(self._waiting, (learned, event.seq, event))
            while self._waiting and self._waiting[0][0] <= event.at:
                learned, _, known = heapq.heappop(self._waiting)
                self._print(known, learned)

    def close(self) -> None:
        """Print what is still waiting: events the side learned of after the last one."""
        while self._waiting:
            learned, _, known = heapq.heappop(self._waiting)
            self._print(known, learned)

    def _print(self, event: DomainEvent, shown_at: datetime) -> None:
        local = to_washington(shown_at)
        day = washington_date(shown_at)
        if day != self._day:
            self._day = day
            self.console.print()
            self.console.rule(f"[bold]{local:%A} {day.day} {local:%B %Y}[/bold]", align="left")
        before, self.state = self.state, apply(self.state, event)
        paragraph = f"[magenta]¶{literal(event.step)}[/magenta] " if event.step else ""
        mark = MARKS[event.provenance]
        lines = [f"{mark}{paragraph}[bold]{literal(event.actor)}[/bold]: {literal(event.summary)}"]
        if shown_at != event.at:
            lines.append(f"[dim]it happened {written(event.at)}[/dim]")
        for side, learned in (("Washington", event.learned_at), ("Moscow", event.moscow_learned_at)):
            if learned is not None and side.lower() != self.side:
                lines.append(f"[dim]known in {side} {written(learned)}[/dim]")
        if event.uncertainty:
            lines.append(f"[dim]uncertain: {literal(event.uncertainty)}[/dim]")
        if self.with_sources:
            lines.append(f"[dim]{literal('; '.join(event.sources))}[/dim]")
        lines += [f"[yellow]>> {literal(change)}[/yellow]" for change in state_changes(before, self.state)]
        # A grid gives wrapped lines a hanging indent under the text, not under the hour.
        row = Table.grid(padding=(0, 2))
        row.add_column(no_wrap=True, style="cyan")
        row.add_column()
        row.add_row(f"{local:%H:%M} {local.tzname()}", "\n".join(lines))
        self.console.print(row, highlight=False)
