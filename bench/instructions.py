"""The cost of an ensemble's member, and of a command's start-up, in machine instructions.

    python bench/instructions.py [--members 200] [--variant memo-uncertain]

Wall time on these machines drifts by a factor of three within an hour, so a change to the
engine is judged here by what does not drift: the instructions the CPU executes, counted
by valgrind (`apt-get install valgrind`; cachegrind without its cache simulation). Prints:

- instructions per member of the variant's ensemble: a process that sets up and runs
  `--members` members, less one that sets up and runs none, divided by `--members`;
- instructions of the whole `excomm explore VARIANT --runs 1` command (start-up: the
  imports, the command line, reading the plan);
- per event, from the members' mean count of events.

About 30 s per figure under valgrind. Run from the project's folder, with its venv.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

_MEMBERS = """
import sys
from models.ensemble import member_seeds, run_batch
from timelines.loader import plan_of
plan = plan_of(sys.argv[1])
seeds = member_seeds(1, 20 + int(sys.argv[2]))
run_batch(plan, seeds[:20])  # caches warmed, as after a worker's first batch
if int(sys.argv[2]):
    run_batch(plan, seeds[20:])
"""


def instructions(*command: str) -> int:
    """What valgrind counts for a command (hash seed fixed: the same work each time)."""
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(f"instructions: no count in valgrind's output: {done.stderr[-300:]}")
    return int(found.group(1).replace(",", ""))


def events_per_member(variant: str, members: int) -> float:
    from models.ensemble import _Courses, member_seeds
    from timelines.loader import plan_of

    courses = _Courses(plan_of(variant))
    seeds = member_seeds(1, members)
    return sum(len(courses.of(seed).run_to_end()) for seed in seeds) / members


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--variant", default="memo-uncertain")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("instructions: valgrind is not installed (apt-get install valgrind)")
    python = sys.executable
    none = instructions(python, "-c", _MEMBERS, args.variant, "0")
    some = instructions(python, "-c", _MEMBERS, args.variant, str(args.members))
    per_member = (some - none) / args.members
    events = events_per_member(args.variant, args.members)
    startup = instructions(
        python,
        "-c",
        "import sys; from cli import main; sys.argv = sys.argv[1:]; main()",
        "excomm",
        "explore",
        args.variant,
        "--runs",
        "1",
        "--seed",
        "1",
        "--runtime",
        "local",
    )
    print(f"{args.variant}: {per_member / 1e6:.2f}M instructions a member ({args.members} members)")
    print(f"  {events:.1f} events a member: {per_member / events / 1e3:.1f}k instructions an event")
    print(f"  excomm explore {args.variant} --runs 1, whole command: {startup / 1e9:.2f}G instructions")


if __name__ == "__main__":
    main()
