"""Pictures analysts read: an ensemble's outcome shares with their intervals and its fan
chart of escalation over simulated days; a sweep's outcome shares against each parameter,
or a heat map over two."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.ensemble import EnsembleTable

if TYPE_CHECKING:
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
    axis.set_title(f"{result.variant}: {result.runs} members, seed {result.seed}")


def fan_bands(result: EnsembleTable) -> tuple[list[date], list[str], list[list[float]]]:
    """The fan chart's data: the Washington days, the rungs in ladder order, and for each
    rung the share of members at or above it by the end of each day. A member climbs the
    ladder in order, so the shares nest: a rung's band lies between its share and the
    next rung's."""
    ladder = result.ladder or sorted(result.rung_days)
    days = sorted({d for by_day in result.rung_days.values() for d in by_day})
    if not days:
        return [], ladder, [[] for _ in ladder]
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    axis = [first + timedelta(days=i) for i in range(-1, (last - first).days + 2)]
    at_or_above = []
    for rung in ladder:
        by_day, running, shares = result.rung_days.get(rung, {}), 0, []
        for day in axis:
            running += by_day.get(day.isoformat(), 0)
            shares.append(running / result.runs)
        at_or_above.append(shares)
    return axis, ladder, at_or_above


def _fan(axis: Any, result: EnsembleTable) -> None:
    days, ladder, at_or_above = fan_bands(result)
    if days:
        # Bands from the top rung down: each between its share and the next rung's.
        bands: dict[int, Any] = {}
        for index in reversed(range(len(ladder))):
            upper = at_or_above[index]
            lower = at_or_above[index + 1] if index + 1 < len(ladder) else [0.0] * len(days)
            bands[index] = axis.fill_between(
                days, lower, upper, step="post", color=RUNG_COLOURS[index % len(RUNG_COLOURS)]
            )
        below = axis.fill_between(days, at_or_above[0], [1.0] * len(days), step="post", color="#e6f0f7")
        # The legend in ladder order, lowest rung first, as the plan climbs it.
        axis.legend(
            [below, *(bands[i] for i in range(len(ladder)))],
            ["no rung yet", *(f"highest rung: {_label(rung)}" for rung in ladder)],
            loc="upper left",
            fontsize=8,
        )
        axis.set_xlim(days[0], days[-1])
    axis.set_ylim(0, 1)
    axis.set_ylabel("share of members at each rung")
    axis.set_xlabel("end of the Washington day")
    axis.set_title("escalation over simulated days")


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
    against it with its 95% interval; for two, also a heat map of the commonest outcome's
    share over both."""
    plt = _pyplot()
    table = result.frame()
    columns = [r.parameter.column for r in result.ranges]
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
    if heat and result.outcomes:
        axis = axes[0][-1]
        outcome = result.outcomes[0]
        x, y, z = table[columns[0]], table[columns[1]], table[f"share.{outcome}"]
        if len(table) >= 3 and x.nunique() > 1 and y.nunique() > 1:
            shading = axis.tripcolor(x, y, z, vmin=0, vmax=1, cmap="YlOrBr", shading="gouraud")
        else:
            shading = axis.scatter(x, y, c=z, vmin=0, vmax=1, cmap="YlOrBr")
        axis.scatter(x, y, s=6, color="black")
        figure.colorbar(shading, ax=axis, label=f"share: {_label(outcome)}")
        axis.set_xlabel(_axis_label(columns[0]))
        axis.set_ylabel(_axis_label(columns[1]))
        axis.set_title(f"{_label(outcome)} over both")
    figure.suptitle(
        f"{result.variant}: {len(result.points)} points ({result.sampler}), "
        f"{result.runs} members each, seed {result.seed}"
    )
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _axis_label(column: str) -> str:
    return f"{column.removesuffix('_h')} (hours)" if column.endswith("_h") else column
