"""How long `excomm replay october-1962` takes, end to end, embedded server start included.

    python bench/replay.py [--runs 5]

Each run is a fresh process with a fresh data directory (so the embedded server starts
from an empty SQLite file, the slowest case), then one more run reusing a directory.
Prints the wall time of each run and the median; the target is under 1.5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXCOMM = Path(sys.executable).parent / "excomm"


def _run(home: str) -> float:
    env = dict(os.environ, EXCOMM_HOME=home)
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_PROFILE"):
        env.pop(name, None)
    started = time.perf_counter()
    done = subprocess.run([str(EXCOMM), "replay", "october-1962"], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"replay failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    fresh: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(args.runs):
            fresh.append(_run(os.path.join(scratch, f"home-{i}")))
            print(f"run {i + 1}: fresh data directory  {fresh[-1]:.2f} s")
        reused = _run(os.path.join(scratch, "home-0"))
        print(f"run {args.runs + 1}: reused data directory {reused:.2f} s")
    print(
        f"excomm replay october-1962: median {statistics.median(fresh):.2f} s, "
        f"max {max(fresh):.2f} s over {args.runs} fresh runs (target < 1.5 s)"
    )


if __name__ == "__main__":
    main()
