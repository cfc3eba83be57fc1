"""Wall time of the analyst's command, start-up included, as a new user would time it.

    python bench/explore_cli.py [--repeat 5] [--runs 10000]

Runs `excomm explore memo-uncertain --runs N --seed 1 --runtime local` as a subprocess and
prints the median and the worst wall time, the simulation's share of it (the elapsed time
the table reports), and the members per second. Target: under 5 s for 10000 members.
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

TARGET_S = 5.0


def _excomm() -> str:
    beside = Path(sys.executable).with_name("excomm")
    return str(beside) if beside.exists() else (shutil.which("excomm") or "excomm")


def main(repeat: int, runs: int) -> None:
    command = [_excomm(), "explore", "memo-uncertain", "--runs", str(runs), "--seed", "1"]
    command += ["--runtime", "local", "--format", "json"]
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
        f"wall: median {median:.2f} s, max {max(walls):.2f} s over {repeat} runs "
        f"(simulation {statistics.median(simulated):.2f} s, start-up and output "
        f"{median - statistics.median(simulated):.2f} s); {runs / median:.0f} members/s"
    )
    print(f"target: under {TARGET_S:.0f} s for 10000 members: {'met' if max(walls) < TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--runs", type=int, default=10000)
    arguments = parser.parse_args()
    main(arguments.repeat, arguments.runs)
