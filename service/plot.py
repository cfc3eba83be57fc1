"""Pictures of an ensemble: outcome shares with their intervals, and escalation by day."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from models.ensemble import EnsembleTable


def plot(result: EnsembleTable, path: Path) -> None:
    """Write a PNG or SVG: outcome shares (95% CI), and the share of runs at each rung by day."""
    import matplotlib

    matplotlib.use("Agg")  # no screen needed: files only
    import matplotlib.pyplot as plt

    figure, (shares, fan) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [1, 2]})
    names = [o.outcome.replace("_", " ") for o in result.outcomes]
    values = [o.share for o in result.outcomes]
    errors = [[o.share - o.ci95[0] for o in result.outcomes], [o.ci95[1] - o.share for o in result.outcomes]]
    shares.bar(names, values, yerr=errors, capsize=6, color=["#8c2d04", "#2b8cbe", "#999999"][: len(values)])
    shares.set_ylim(0, 1)
    shares.set_ylabel("share of runs")
    shares.set_title(f"{result.variant}: {result.runs} runs, seed {result.seed}")

    days = sorted({d for by_day in result.rung_days.values() for d in by_day})
    if days:
        first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
        axis = [first + timedelta(days=i) for i in range((last - first).days + 2)]  # one past the last
        for rung, by_day in result.rung_days.items():
            reached, running = [], 0
            for day in axis:
                running += by_day.get(day.isoformat(), 0)
                reached.append(running / result.runs)
            fan.fill_between(axis, reached, alpha=0.25, step="post")
            fan.step(axis, reached, where="post", label=rung.replace("_", " "))
        fan.legend(loc="upper left")
    fan.set_ylim(0, 1)
    fan.set_ylabel("share of runs that have reached the rung")
    fan.set_title("escalation over simulated time (Washington days)")
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
