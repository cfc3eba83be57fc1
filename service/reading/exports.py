"""A timeline for the tools teachers already use: TimelineJS, a calendar, a spreadsheet,
and a printed handout, one day a page.

Every export keeps what kind of statement each event is (the record, the plan, a
counterfactual, derived bookkeeping) beside its text, so a slide, a calendar entry or a
printed page cannot pass a plan or a what-if off as what happened. User text (summaries,
actors, an analyst's move) is escaped wherever the format renders HTML.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from models.events import DomainEvent, PhaseEnded, PhaseStarted, Provenance, known_at
from models.sides import SIDES, Side
from models.state import WorldState, apply
from models.washington import to_washington, washington_date, written
from timelines.citations import Source, resolve

TEMPLATES = Path(__file__).resolve().parent / "templates"


Format = Literal["timelinejs", "ics", "csv", "html"]
FORMATS: tuple[Format, ...] = ("timelinejs", "ics", "csv", "html")
SUFFIXES: dict[Format, str] = {"timelinejs": ".json", "ics": ".ics", "csv": ".csv", "html": ".html"}
MEDIA_TYPES: dict[Format, str] = {
    "timelinejs": "application/json",
    "ics": "text/calendar",
    "csv": "text/csv",
    "html": "text/html",
}

# How each kind of statement is named wherever a reader sees it.
LABELS: dict[Provenance, str] = {
    "historical": "The record",
    "plan": "The plan (proposed, not done)",
    "counterfactual": "Counterfactual",
    "derived": "Derived",
}
# The zone a calendar in a later year follows the crisis in: Washington's, with that
# year's rules (a tz database is fine here: this is not workflow code).
NEW_YORK = ZoneInfo("America/New_York")
# How much of a source's text a handout quotes.
EXCERPT_CHARS = 600


@dataclass(frozen=True)
class Telling:
    """What an export tells: a timeline's (or a run's) events, from the world before them."""

    id: str
    title: str
    description: str
    initial: WorldState
    events: list[DomainEvent]
    fork_seq: int | None = None  # a branch's last event taken from its parent


def render(telling: Telling, fmt: Format, anniversary: int | None = None) -> str:
    if fmt == "timelinejs":
        return json.dumps(timelinejs(telling), ensure_ascii=False, indent=1)
    if fmt == "ics":
        return ics(telling, anniversary)
    if fmt == "csv":
        return csv_table(telling)
    return handout(telling)


# --- TimelineJS ---------------------------------------------------------------------------------


def _tl_date(instant: datetime) -> dict[str, Any]:
    """A TimelineJS date: Washington's wall clock, with the zone written in the display."""
    local = to_washington(instant)
    return {
        "year": local.year,
        "month": local.month,
        "day": local.day,
        "hour": local.hour,
        "minute": local.minute,
        "display_date": f"{local:%a %d %b %Y, %H:%M} {local.tzname()}",
    }


def _citation_html(citation: str) -> str:
    found = resolve(citation)
    if found is not None and found.address:
        return f'<a href="{escape(found.address)}">{escape(citation)}</a>'
    return escape(citation)


def _event_html(event: DomainEvent) -> str:
    parts = [f"<p><strong>{escape(LABELS[event.provenance])}.</strong> {escape(event.summary)}</p>"]
    if event.uncertainty:
        parts.append(f"<p><em>Uncertain:</em> {escape(event.uncertainty)}</p>")
    parts.append("<p>Sources: " + "; ".join(_citation_html(c) for c in event.sources) + "</p>")
    return "".join(parts)


def _media(event: DomainEvent) -> dict[str, str] | None:
    """The first cited source that has a public address, as TimelineJS's media link."""
    for citation in event.sources:
        found = resolve(citation)
        if found is not None and found.address:
            return {"url": found.address, "caption": escape(found.title), "credit": escape(found.citation)}
    return None


# The memo's ordered plan, by the events each stage of it records: a plan written without
# phase steps (the memo itself) still shows its stages as eras.
STAGES: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "Setting the stage",
        frozenset(
            {"resolve_declared", "allied_decision_sought", "polaris_coverage_offered", "irbm_phase_out_urged"}
        ),
    ),
    (
        "Consulting the allies",
        frozenset({"consultation_opened", "allied_answer_received", "consultation_closed"}),
    ),
    (
        "Negotiating",
        frozenset(
            {
                "negotiations_opened",
                "negotiation_level_changed",
                "track_opened",
                "soviet_reply_received",
                "counter_proposal_answered",
                "track_settled",
                "track_closed",
            }
        ),
    ),
    ("Escalating", frozenset({"plan_deadline_passed", "escalation_rung_reached", "military_action_ordered"})),
)


def eras(events: list[DomainEvent]) -> list[tuple[str, datetime, datetime]]:
    """The plan's phases (title, start, end), from its phase events; a phase still open at
    the end runs to the last event. A plan without phases has the memo's stages instead,
    each from its first plan event to its last."""
    found = _phases(events)
    if found:
        return found
    for title, types in STAGES:
        instants = [e.at for e in events if e.provenance == "plan" and e.type in types]
        if instants:
            found.append((title, min(instants), max(instants)))
    return sorted(found, key=lambda era: era[1])


def _phases(events: list[DomainEvent]) -> list[tuple[str, datetime, datetime]]:
    found: list[tuple[str, datetime, datetime]] = []
    open_phases: dict[str, tuple[str, datetime]] = {}
    for event in events:
        if isinstance(event, PhaseStarted):
            open_phases[event.phase] = (event.title, event.at)
        elif isinstance(event, PhaseEnded) and event.phase in open_phases:
            title, started = open_phases.pop(event.phase)
            found.append((title, started, event.at))
    if events:
        found += [(title, started, events[-1].at) for title, started in open_phases.values()]
    return sorted(found, key=lambda era: era[1])


def timelinejs(telling: Telling) -> dict[str, Any]:
    """The TimelineJS JSON format (https://timeline.knightlab.com/docs/json-format.html):
    a title slide, one slide per event grouped by what kind of statement it is, its sources
    linked in its text, and the plan's phases as eras."""
    slides: list[dict[str, Any]] = []
    for event in telling.events:
        slide: dict[str, Any] = {
            "unique_id": f"{telling.id}-{event.seq}",
            "start_date": _tl_date(event.at),
            "text": {"headline": escape(event.actor), "text": _event_html(event)},
            "group": LABELS[event.provenance],
        }
        # No media: a source's page is a web page, which TimelineJS knows no media type for
        # and draws as a broken image; its link is in the slide's text instead.
        slides.append(slide)
    document: dict[str, Any] = {
        "title": {
            "text": {"headline": escape(telling.title), "text": f"<p>{escape(telling.description)}</p>"}
        },
        "events": slides,
    }
    phases = eras(telling.events)
    if phases:
        document["eras"] = [
            {
                "start_date": _tl_date(start),
                # TimelineJS drops an end equal to its start and then refuses the era: a stage
                # done in one instant (the memo's stage setting, at noon) is given an hour.
                "end_date": _tl_date(max(end, start + timedelta(hours=1))),
                "text": {"headline": escape(title)},
            }
            for title, start, end in phases
        ]
    return document


# --- iCalendar ----------------------------------------------------------------------------------


def on_anniversary(instant: datetime, year: int, first_year: int = 1962) -> datetime:
    """The same Washington date and wall-clock hour, `year - first_year` years on (that year's
    zone rules): the crisis of `first_year` falls in `year`, and what followed in the next
    year (the Jupiters out in April 1963) in the year after, so the order holds."""
    local = to_washington(instant)
    moved = local.year + year - first_year
    try:
        return local.replace(year=moved, tzinfo=NEW_YORK).astimezone(UTC)
    except ValueError:  # 29 February in a year that has none: the 28th
        return local.replace(year=moved, day=28, tzinfo=NEW_YORK).astimezone(UTC)


def ics(telling: Telling, anniversary: int | None = None) -> str:
    """One calendar entry per event at its 1962 instant, or on its anniversary in a given
    year at the same Washington hour, to follow the crisis day by day."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//excomm//classroom export//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", telling.title if anniversary is None else f"{telling.title} ({anniversary})")
    stamp = datetime.now(UTC).replace(microsecond=0)
    first_year = to_washington(telling.events[0].at).year if telling.events else 1962
    for event in telling.events:
        entry = Event()
        entry.add("uid", f"{telling.id}-{event.seq}@excomm")
        entry.add("dtstamp", stamp)
        when = (
            event.at.astimezone(UTC)
            if anniversary is None
            else on_anniversary(event.at, anniversary, first_year)
        )
        entry.add("dtstart", when)
        entry.add("dtend", when + timedelta(minutes=30))
        entry.add("summary", f"{_mark(event.provenance)}{event.actor}: {event.summary}")
        lines = [f"{LABELS[event.provenance]}.", event.summary]
        if anniversary is not None:
            lines.append(f"It happened {written(event.at)}.")
        if event.uncertainty:
            lines.append(f"Uncertain: {event.uncertainty}")
        lines.append("Sources: " + "; ".join(event.sources))
        entry.add("description", "\n".join(lines))
        entry.add("categories", [event.provenance.upper()])
        media = _media(event)
        if media is not None:
            entry.add("url", media["url"])
        calendar.add_component(entry)
    document: bytes = calendar.to_ical()
    return document.decode("utf-8")


def _mark(provenance: Provenance) -> str:
    return "" if provenance == "historical" else f"[{LABELS[provenance].split(' (')[0].upper()}] "


# --- CSV ----------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "seq",
    "at",
    "washington_date",
    "washington_time",
    "zone",
    "provenance",
    "type",
    "actor",
    "summary",
    "step",
    "uncertainty",
    "washington_learned_at",
    "moscow_learned_at",
    "havana_learned_at",
    "sources",
)


def _learned(event: DomainEvent, side: Side) -> str:
    """When a side learned of an event, by the channels it came by (models.knowledge): at
    once for its own acts, by a delivery, a broadcast or a sourced instant; empty if never."""
    learned = known_at(event, side)
    return learned.isoformat() if learned is not None else ""


def csv_table(telling: Telling) -> str:
    """One row per event, its instant in ISO 8601 with its offset and as Washington's
    wall clock; sources joined with '; '."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for event in telling.events:
        local = to_washington(event.at)
        writer.writerow(
            (
                event.seq,
                event.at.isoformat(),
                local.date().isoformat(),
                f"{local:%H:%M}",
                local.tzname(),
                event.provenance,
                event.type,
                event.actor,
                event.summary,
                event.step or "",
                event.uncertainty or "",
                *(_learned(event, side) for side in SIDES),
                "; ".join(event.sources),
            )
        )
    return out.getvalue()


# --- the printable handout ---------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """One Washington day of a timeline: its events, and the world at its end."""

    date: date
    events: list[DomainEvent]
    changes: list[str]
    world: WorldState


def days(initial: WorldState, events: Iterable[DomainEvent]) -> Iterator[Day]:
    from service.reading.chronicle import state_changes

    world = initial
    current: list[DomainEvent] = []
    started = initial
    for event in events:
        if current and washington_date(event.at) != washington_date(current[0].at):
            yield Day(washington_date(current[0].at), current, state_changes(started, world), world)
            current, started = [], world
        current.append(event)
        world = apply(world, event)
    if current:
        yield Day(washington_date(current[0].at), current, state_changes(started, world), world)


def excerpt(found: Source) -> str:
    """What a handout quotes of a source: the start of its text where excomm ships it,
    else the record's note or the work's byline."""
    if found.text:
        text = " ".join(found.text.split())
        return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
    return found.note or found.byline or ""


def handout(telling: Telling) -> str:
    from service.reading.templating import environment

    return (
        environment(TEMPLATES)
        .get_template("handout.html")
        .render(
            telling=telling,
            days=list(days(telling.initial, telling.events)),
            resolve=resolve,
            excerpt=excerpt,
            local=to_washington,
        )
    )
