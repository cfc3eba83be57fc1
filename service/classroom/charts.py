"""The classroom's charts, drawn on the server as SVG: DEFCON by command and the escalation
rung over the days, and for a branch the same beside the timeline it was forked from.

Written directly as SVG elements rather than by matplotlib: a chart is redrawn each time a
class steps a day, and matplotlib took 1.5 s a chart on this machine where this takes a
few milliseconds. Every label is escaped; the document has no script.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape

from models.events import DomainEvent
from models.state import WorldState, apply
from models.washington import EST, next_midnight, washington_date

COMMAND_COLOURS = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214")
WIDTH, HEIGHT = 760, 330
LEFT, RIGHT = 170, 20
DEFCON_TOP, DEFCON_BOTTOM = 20, 170
RUNG_TOP, RUNG_BOTTOM = 200, 290


@dataclass(frozen=True)
class Series:
    """A run's events from its initial world, for a chart."""

    label: str
    initial: WorldState
    events: Sequence[DomainEvent]


def _steps(series: Series, end: datetime | None) -> list[tuple[datetime, WorldState]]:
    state = series.initial
    points: list[tuple[datetime, WorldState]] = []
    for event in series.events:
        if end is not None and event.at > end:
            break
        state = apply(state, event)
        points.append((event.at, state))
    return points


def draw(series: Series, compared: Series | None, ladder: Sequence[str], until: datetime | None) -> str:
    """The chart as an SVG document: DEFCON by command above (1 at the top), the escalation
    rung below (the ladder in order, 'none' at the bottom). `compared`, dashed, is the
    timeline a branch was forked from. Both are drawn up to `until` (the run's clock)."""
    drawn = [(s, dash) for s, dash in ((series, ""), (compared, "6 4")) if s is not None]
    stepped = [(s, dash, _steps(s, until)) for s, dash in drawn]
    instants = [t for _, _, points in stepped for t, _ in points]
    if not instants:
        return _document(['<text x="20" y="40" class="legend">No events yet.</text>'])
    start = min(instants)
    end = max([*instants, until] if until is not None else instants)
    first_day = washington_date(start)
    span = max((end - start).total_seconds(), 3600.0)

    def x(instant: datetime) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (instant - start).total_seconds() / span

    rungs = list(ladder)
    for _, _, points in stepped:
        for _, state in points:
            if state.escalation_rung and state.escalation_rung not in rungs:
                rungs.append(state.escalation_rung)

    def defcon_y(level: int) -> float:
        return DEFCON_TOP + (DEFCON_BOTTOM - DEFCON_TOP) * (level - 1) / 4

    def rung_y(index: int) -> float:
        return RUNG_BOTTOM - (RUNG_BOTTOM - RUNG_TOP) * index / max(len(rungs), 1)

    parts: list[str] = []
    for level in range(1, 6):
        y = defcon_y(level)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" class="tick" text-anchor="end">DEFCON {level}</text>'
        )
    for index, name in enumerate(["none", *rungs]):
        y = rung_y(index)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        label = escape(name.replace("_", " "))
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" class="tick" text-anchor="end">{label}</text>')
    day = first_day
    step = max(1, (washington_date(end) - first_day).days // 8 + 1)
    while True:
        midnight = _midnight(day)
        if midnight > end:
            break
        if midnight >= start:
            at = x(midnight)
            parts.append(
                f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{DEFCON_TOP}" y2="{RUNG_BOTTOM}" class="day"/>'
            )
            if (day - first_day).days % step == 0:
                label_y = RUNG_BOTTOM + 16
                parts.append(
                    f'<text x="{at:.1f}" y="{label_y}" class="tick" text-anchor="middle">{day:%d %b}</text>'
                )
        day += timedelta(days=1)
    legend: list[str] = []
    commands = sorted({c for _, _, points in stepped for _, s in points for c in s.defcon})
    for s, dash, points in stepped:
        if not points:
            continue
        dashing = f' stroke-dasharray="{dash}"' if dash else ""
        for index, command in enumerate(commands):
            colour = COMMAND_COLOURS[index % len(COMMAND_COLOURS)]
            path = _step_path([(x(t), defcon_y(state.defcon.get(command, 5))) for t, state in points], x(end))
            parts.append(f'<path d="{path}" stroke="{colour}" class="line"{dashing}/>')
            if s is series:
                legend.append(f'<tspan fill="{colour}">■ {escape(command)}</tspan>')
        heights = [
            (x(t), rung_y(rungs.index(st.escalation_rung) + 1 if st.escalation_rung else 0))
            for t, st in points
        ]
        parts.append(f'<path d="{_step_path(heights, x(end))}" stroke="#333" class="line"{dashing}/>')
    if compared is not None:
        legend.append(f"<tspan>  solid: {escape(series.label)}; dashed: {escape(compared.label)}</tspan>")
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 8}" class="legend">{" ".join(legend)}</text>')
    return _document(parts)


def _midnight(day: date) -> datetime:
    """Washington's midnight at the start of a day (EDT or EST, whichever it kept)."""
    return next_midnight(datetime.combine(day - timedelta(days=1), time(12), tzinfo=EST))


def _step_path(points: list[tuple[float, float]], end_x: float) -> str:
    """An SVG path that holds each value until the next point, and the last to `end_x`."""
    commands = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    for (_, y_before), (x_next, y_next) in itertools.pairwise(points):
        commands.append(f"H{x_next:.1f}")
        if y_next != y_before:
            commands.append(f"V{y_next:.1f}")
    commands.append(f"H{end_x:.1f}")
    return "".join(commands)


def _document(parts: list[str]) -> str:
    body = "\n".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" '
        'role="img" aria-label="DEFCON by command and the escalation rung over the days">\n'
        "<style>.grid{stroke:#ddd;stroke-width:1}.day{stroke:#eee;stroke-width:1}"
        ".line{fill:none;stroke-width:2.5}.tick{font:13px sans-serif;fill:#333}"
        ".legend{font:14px sans-serif;fill:#222}</style>\n"
        f"{body}\n</svg>\n"
    )
