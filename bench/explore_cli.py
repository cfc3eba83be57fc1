"""Wall time of the analyst's commands, start-up included, as a new user would time them.

    python bench/explore_cli.py [--repeat 3] [--runs 10000]

Runs, as subprocesses, `excomm explore memo-uncertain --runs N --seed 1 --runtime local`
(target: under 2 s for 10000 members) and `excomm sweep memo-uncertain --vary
deadline=24h..120h --points 16 --runs 500 --seed 1` (target: under 10 s), and prints the
median and the worst wall time of each, the simulation's share of it (the elapsed time the
command reports), and a calibration: the time this machine takes for ten million Python
additions, because its speed drifts (seen here from 0.6 s to 2.4 s within an hour).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _excomm() -> str:
    beside = Path(sys.executable).with_name("excomm")
    return str(beside) if beside.exists() else (shutil.which("excomm") or "excomm")


def calibration() -> float:
    started, total = time.perf_counter(), 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


def timed(command: list[str], repeat: int, target_s: float, members: int) -> None:
    walls: list[float] = []
    simulated: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - started)
        simulated.append(json.loads(done.stdout)["elapsed_s"])
    median = statistics.median(walls)
    print(f"$ excomm {' '.join(command[1:])}")
    print(
        f"  wall: median {median:.2f} s, max {max(walls):.2f} s over {repeat} runs "
        f"(simulation {statistics.median(simulated):.2f} s, start-up and output "
        f"{median - statistics.median(simulated):.2f} s); {members / median:.0f} members/s; "
        f"target under {target_s:g} s: {'met' if max(walls) < target_s else 'MISSED'}"
    )


def main(repeat: int, runs: int) -> None:
    print(f"calibration: 10M Python additions in {calibration():.2f} s")
    explore = [_excomm(), "explore", "memo-uncertain", "--runs", str(runs), "--seed", "1"]
    timed([*explore, "--runtime", "local", "--format", "json"], repeat, 2.0, runs)
    sweep = [_excomm(), "sweep", "memo-uncertain", "--vary", "deadline=24h..120h", "--points", "16"]
    timed([*sweep, "--runs", "500", "--seed", "1", "--format", "json"], repeat, 10.0, 16 * 500)
    print(f"calibration: 10M Python additions in {calibration():.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10000)
    arguments = parser.parse_args()
    main(arguments.repeat, arguments.runs)
