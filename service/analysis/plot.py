"""Pictures analysts read: an ensemble's outcome shares with their intervals and its fan
chart of escalation over simulated days; a sweep's outcome shares against each parameter,
or a heat map over two."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.ensemble import EnsembleTable, wilson
from models.parameters import Range

if TYPE_CHECKING:
    import pandas as pd

    from service.analysis.sweep import Sweep

# Outcomes and rungs told apart by colour and named in the legend; the ladder runs from
# pale (pressure) to dark (force), as an analyst reads escalation.
OUTCOME_COLOURS = {"military_action": "#8c2d04", "negotiated_withdrawal": "#2b8cbe"}
RUNG_COLOURS = ["#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#993404", "#662506"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no screen needed: files only
    import matplotlib.pyplot as plt

    return plt


def _label(name: str) -> str:
    return name.replace("_", " ")


def _shares(axis: Any, result: EnsembleTable) -> None:
    names = [_label(o.outcome) for o in result.outcomes]
    values = [o.share for o in result.outcomes]
    errors = [[o.share - o.ci95[0] for o in result.outcomes], [o.ci95[1] - o.share for o in result.outcomes]]
    colours = [OUTCOME_COLOURS.get(o.outcome, "#999999") for o in result.outcomes]
    axis.bar(names, values, yerr=errors, capsize=6, color=colours)
    for index, share in enumerate(result.outcomes):
        axis.annotate(
            f"{share.share:.1%}\n({share.ci95[0]:.1%}-{share.ci95[1]:.1%})",
            (index, share.ci95[1]),
            textcoords="offset points",
            xytext=(0, 4),
            ha="center",
            fontsize=8,
        )
    axis.set_ylim(0, 1.12)
    axis.set_ylabel("share of members (95% CI)")
    settings = f"\n{', '.join(result.settings)}" if result.settings else ""
    axis.set_title(f"{result.variant}: {result.runs} members, seed {result.seed}{settings}")


def fan_series(result: EnsembleTable) -> tuple[list[date], list[tuple[str, str, list[int]]]]:
    """The fan chart's data: the Washington days, and by the end of each, how many members
    had reached each outcome (negotiated withdrawal, military action) and each rung of the
    ladder, lowest rung first. Counts are cumulative: a member counts from the day it got
    there on. An outcome and a rung are not exclusive (a member may climb, then settle)."""
    ladder = result.ladder or sorted(result.rung_days)
    by_series = [("outcome", o, result.days.get(o, {})) for o in sorted(result.days)]
    by_series += [("rung", rung, result.rung_days.get(rung, {})) for rung in ladder]
    days = sorted({d for _, _, by_day in by_series for d in by_day})
    if not days:
        return [], [(kind, name, []) for kind, name, _ in by_series]
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    axis = [first + timedelta(days=i) for i in range(-1, (last - first).days + 2)]
    series = []
    for kind, name, by_day in by_series:
        running, counts = 0, []
        for day in axis:
            running += by_day.get(day.isoformat(), 0)
            counts.append(running)
        series.append((kind, name, counts))
    return axis, series


def fan_frame(result: EnsembleTable) -> pd.DataFrame:
    """The fan chart as a table: a row per day and series (each outcome, each rung), with
    the members there by the end of that day, their share and its 95% interval (Wilson)."""
    import pandas as pd

    days, series = fan_series(result)
    rows = [
        {
            "day": day,
            "kind": kind,
            "name": name,
            "members": count,
            "share": count / result.runs,
            "low": wilson(count, result.runs)[0],
            "high": wilson(count, result.runs)[1],
        }
        for kind, name, counts in series
        for day, count in zip(days, counts, strict=True)
    ]
    return pd.DataFrame(rows, columns=["day", "kind", "name", "members", "share", "low", "high"])


def _fan(axis: Any, result: EnsembleTable) -> None:
    days, series = fan_series(result)
    if days:
        rung = 0
        for kind, name, counts in series:
            shares = [c / result.runs for c in counts]
            bounds = [wilson(c, result.runs) for c in counts]
            if kind == "outcome":
                colour, label, style = OUTCOME_COLOURS.get(name, "#999999"), f"outcome: {_label(name)}", "-"
            else:
                colour, label, style = (
                    RUNG_COLOURS[rung % len(RUNG_COLOURS)],
                    f"rung reached: {_label(name)}",
                    "--",
                )
                rung += 1
            axis.step(days, shares, where="post", color=colour, linestyle=style, linewidth=1.6, label=label)
            axis.fill_between(
                days, [b[0] for b in bounds], [b[1] for b in bounds], step="post", color=colour, alpha=0.2
            )
        # The legend in the order of the series: the outcomes, then the ladder lowest first.
        axis.legend(loc="upper left", fontsize=8)
        axis.set_xlim(days[0], days[-1])
    axis.set_ylim(0, 1)
    axis.set_ylabel("share of members by then (95% CI)")
    axis.set_xlabel("end of the Washington day")
    axis.set_title("outcomes and escalation over simulated days")


def plot(result: EnsembleTable, path: Path) -> None:
    """Write a PNG or SVG: outcome shares (95% CI), and the fan chart."""
    plt = _pyplot()
    figure, (shares, fan) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1, 2]})
    _shares(shares, result)
    _fan(fan, result)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def plot_sweep(result: Sweep, path: Path) -> None:
    """Write a PNG or SVG of a sweep: for one parameter, or for each, every outcome's share
    against it with its 95% interval; for two, also a map of military action's share over
    both, a cell per point (no interpolation across a threshold the points did not see)."""
    plt = _pyplot()
    table = result.frame()
    # A swept weight of a Soviet answer is drawn against the chance it gives that answer.
    columns = [_shown(r.parameter.column, table) for r in result.ranges]
    heat = len(columns) == 2
    panels = len(columns) + (1 if heat else 0)
    figure, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.4), squeeze=False)
    for axis, column in zip(axes[0], columns, strict=False):
        ordered = table.sort_values(column)
        for outcome in result.outcomes:
            share = ordered[f"share.{outcome}"]
            axis.errorbar(
                ordered[column],
                share,
                yerr=[share - ordered[f"low.{outcome}"], ordered[f"high.{outcome}"] - share],
                fmt="o-" if len(columns) == 1 else "o",
                markersize=3,
                capsize=2,
                linewidth=1,
                color=OUTCOME_COLOURS.get(outcome),
                label=_label(outcome),
            )
        axis.set_ylim(0, 1)
        axis.set_xlabel(_axis_label(column))
        axis.set_ylabel("share of members (95% CI)")
        axis.legend(loc="best", fontsize=8)
    if heat:
        _cells(axes[0][-1], figure, table, columns, result.ranges)
    figure.suptitle(
        f"{result.variant}: {len(result.points)} points ({result.sampler}), "
        f"{result.runs} members each, seed {result.seed}"
    )
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _cells(axis: Any, figure: Any, table: pd.DataFrame, columns: list[str], ranges: list[Range]) -> None:
    """The share of military action over two parameters, a cell per point: each point's
    Voronoi cell in the plane of the two (scaled to their swept ranges), coloured by its
    share, so a sharp threshold stays sharp and no colour stands where no point was run."""
    import numpy as np
    from matplotlib.collections import PolyCollection

    outcome = "military_action"
    column = f"share.{outcome}"
    # A sweep where no point came to force has no such column: its share is 0 everywhere.
    share = table[column].to_numpy(float) if column in table else np.zeros(len(table))
    x, y = table[columns[0]].to_numpy(float), table[columns[1]].to_numpy(float)
    spans = [(r.low, (r.high - r.low) or 1.0) for r in ranges]
    if columns[0].endswith(".probability") or columns[1].endswith(".probability"):
        spans = [(v.min(), (v.max() - v.min()) or 1.0) for v in (x, y)]  # chances, not weights
    (x0, dx), (y0, dy) = spans
    unit = np.column_stack([(x - x0) / dx, (y - y0) / dy])
    cells = _voronoi_cells(unit) if len(table) >= 3 and len(np.unique(unit, axis=0)) >= 3 else None
    if cells is None:
        shading = axis.scatter(x, y, c=share, vmin=0, vmax=1, cmap="YlOrBr", s=80, marker="s")
    else:
        polygons = [[(px * dx + x0, py * dy + y0) for px, py in cell] for cell in cells]
        shading = PolyCollection(polygons, array=share, cmap="YlOrBr", edgecolors="white")
        shading.set_clim(0, 1)
        axis.add_collection(shading)
    # The whole swept square, with the margin the border points' cells reach into.
    axis.set_xlim(x0 - _MARGIN * dx, x0 + (1 + _MARGIN) * dx)
    axis.set_ylim(y0 - _MARGIN * dy, y0 + (1 + _MARGIN) * dy)
    axis.scatter(x, y, s=6, color="black")
    figure.colorbar(shading, ax=axis, label=f"share of members: {_label(outcome)}")
    axis.set_xlabel(_axis_label(columns[0]))
    axis.set_ylabel(_axis_label(columns[1]))
    axis.set_title(f"{_label(outcome)}: a cell per point")


_MARGIN = 0.05  # the square's border, in its own units, that the cells are clipped to


def _voronoi_cells(points: Any) -> list[list[tuple[float, float]]] | None:
    """Each point's cell: its Voronoi region, bounded by mirroring the points across the
    four sides of the square [-m, 1+m]^2 (m = _MARGIN), so every region is closed and
    inside it, a point on the swept range's border included."""
    import numpy as np
    from scipy.spatial import QhullError, Voronoi

    low, high = -_MARGIN, 1 + _MARGIN
    mirrored = np.vstack(
        [
            points,
            np.column_stack([2 * low - points[:, 0], points[:, 1]]),
            np.column_stack([2 * high - points[:, 0], points[:, 1]]),
            np.column_stack([points[:, 0], 2 * low - points[:, 1]]),
            np.column_stack([points[:, 0], 2 * high - points[:, 1]]),
        ]
    )
    try:
        diagram = Voronoi(mirrored)
    except (QhullError, ValueError):  # a degenerate design (all points on a line): squares
        return None
    cells = []
    for index in range(len(points)):
        region = diagram.regions[diagram.point_region[index]]
        if not region or -1 in region:
            return None
        cells.append([(float(diagram.vertices[v][0]), float(diagram.vertices[v][1])) for v in region])
    return cells


def _shown(column: str, table: pd.DataFrame) -> str:
    probability = column.removesuffix(".p") + ".probability"
    return probability if column.endswith(".p") and probability in table else column


def _axis_label(column: str) -> str:
    if column.endswith(".probability"):
        # behaviour.soviet.cuba.options.accept.probability: P(accept), cuba track
        parts = column.split(".")
        return f"P({parts[-2]}) on the {parts[2]} track (from its weight)"
    return f"{column.removesuffix('_h')} (hours)" if column.endswith("_h") else column
