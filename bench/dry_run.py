"""Simulation time of a dry run, in-process on the virtual clock (target: memo under 50 ms).

    python bench/dry_run.py [--runs 200]

Times `simulate` alone (the engine, the plan interpreter and the fold of every event), as
`excomm dry-run` does, for the memo, the historical timeline, and memo-uncertain over seeds.
"""

from __future__ import annotations

import argparse
import statistics
import time

from models.simulation import simulate
from timelines.loader import load_timeline


def _timed(name: str, runs: int, seeds: bool = False) -> list[float]:
    timings = []
    for run in range(runs):
        definition = load_timeline(name, seed=run if seeds else 0)
        started = time.perf_counter()
        simulate(definition)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    for name, seeds in (("memo", False), ("october-1962", False), ("memo-uncertain", True)):
        timings = _timed(name, args.runs, seeds)
        print(
            f"{name:<15} median {statistics.median(timings):6.2f} ms  p95 "
            f"{sorted(timings)[int(len(timings) * 0.95)]:6.2f} ms  max {max(timings):6.2f} ms"
            f"  over {args.runs} runs{' (one seed each)' if seeds else ''}"
        )
    print("target: the memo's dry run under 50 ms of simulation time")


if __name__ == "__main__":
    main()
