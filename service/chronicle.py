"""The day-by-day chronicle of a timeline, as an educator reads it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from models.events import DomainEvent
from models.state import WorldState, apply
from models.washington import to_washington, washington_date


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
    """Prints events as they come, with a heading for each Washington day."""

    def __init__(self, console: Console, initial: WorldState, with_sources: bool = True) -> None:
        self.console = console
        self.state = initial
        self.with_sources = with_sources
        self._day: date | None = None

    def feed(self, events: Iterable[DomainEvent]) -> None:
        for event in events:
            self._print(event)

    def _print(self, event: DomainEvent) -> None:
        local = to_washington(event.at)
        day = washington_date(event.at)
        if day != self._day:
            self._day = day
            self.console.print()
            self.console.rule(f"[bold]{local:%A} {day.day} {local:%B %Y}[/bold]", align="left")
        before, self.state = self.state, apply(self.state, event)
        paragraph = f"[magenta]¶{event.step}[/magenta] " if event.step else ""
        lines = [f"{paragraph}[bold]{escape(event.actor)}[/bold]: {escape(event.summary)}"]
        if event.learned_at is not None:
            learned = to_washington(event.learned_at)
            lines.append(f"[dim]known in Washington {learned:%d %b %H:%M} {learned.tzname()}[/dim]")
        if event.uncertainty:
            lines.append(f"[dim]uncertain: {escape(event.uncertainty)}[/dim]")
        if self.with_sources:
            lines.append(f"[dim]{escape('; '.join(event.sources))}[/dim]")
        lines += [f"[yellow]>> {escape(change)}[/yellow]" for change in state_changes(before, self.state)]
        # A grid gives wrapped lines a hanging indent under the text, not under the hour.
        row = Table.grid(padding=(0, 2))
        row.add_column(no_wrap=True, style="cyan")
        row.add_column()
        row.add_row(f"{local:%H:%M} {local.tzname()}", "\n".join(lines))
        self.console.print(row, highlight=False)
