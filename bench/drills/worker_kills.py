"""Drill: worker processes killed with SIGKILL at random instants, nothing lost.

    python -m bench.drills.worker_kills [--kills 100] [--workers 2] [--seconds 60] [--members 20000]
                                        [--gap 3] [--seed 1962] [--short]

Runs rounds of five paced timelines and two Temporal ensembles on a dev server, spread
over worker processes, and kills a random worker (SIGKILL) at random instants, starting
a new one in its place, until the kills are done; the round under way then finishes.
After each round, every timeline's log in the event store is compared, seq by seq, with
an uninterrupted run, and every ensemble's table with the uninterrupted table. Prints
the kills survived, the events lost, duplicated and changed (each should be 0), and
exits 1 if any.

The event store is EXCOMM_EVENT_STORE if set (the store every worker shares), else a
SQLite file in the drill's own home.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client

from activities.stores import open_store
from bench.drills.common import (
    PACED,
    SHORT,
    Findings,
    Stopwatch,
    outcomes,
    start,
    worker_process,
    workload,
)
from service.runtime.embedded_server import embedded_server


@dataclass
class Summary:
    kills: int
    rounds: int
    findings: Findings

    def lines(self) -> list[str]:
        return [f"worker SIGKILLs survived: {self.kills} over {self.rounds} rounds", *self.findings.lines()]


async def drill(
    kills: int,
    workers: int = 2,
    seconds: float = 60,
    members: int = 20000,
    seed: int = 1962,
    names: tuple[str, ...] = PACED,
    gap: float = 3.0,
    say: bool = True,
) -> Summary:
    rng = random.Random(seed)
    clock = Stopwatch()
    with tempfile.TemporaryDirectory(prefix="excomm-drill-") as folder:
        home = Path(folder)
        os.environ["EXCOMM_HOME"] = str(home)
        store_url = os.environ.get("EXCOMM_EVENT_STORE") or str(home / "events.sqlite3")
        store = open_store(store_url)
        log = home / "workers.log"
        queue = f"drill-{secrets.token_hex(3)}"
        findings = Findings()
        killed = rounds = 0
        async with embedded_server() as (client, server):
            pool = [worker_process(server.address, queue, log, store_url) for _ in range(workers)]
            try:
                while killed < kills:
                    rounds += 1
                    # Ids of this drill's own: a shared store may hold an earlier drill's runs.
                    work = workload(f"{queue}-round{rounds}", seconds, members, names)
                    await start(client, work, queue, batch=max(members // 20, 1))

                    async def connect() -> Client:
                        return client

                    finished = asyncio.ensure_future(outcomes(connect, work))
                    while not finished.done() and killed < kills:
                        # A random instant: the gaps between kills average `gap` seconds.
                        await asyncio.wait({finished}, timeout=rng.uniform(0, 2 * gap))
                        if finished.done():
                            break
                        victim = rng.randrange(len(pool))
                        pool[victim].send_signal(signal.SIGKILL)
                        pool[victim].wait()
                        pool[victim] = worker_process(server.address, queue, log, store_url)
                        killed += 1
                    tallies = await finished
                    findings.add(store, work, tallies)
                    if say:
                        print(
                            f"{clock}  round {rounds}: {killed} kills so far; "
                            f"lost {findings.lost}, duplicated {findings.duplicated}, "
                            f"changed {findings.changed}, tables differing {findings.tables_differing}",
                            flush=True,
                        )
            finally:
                _stop(pool)
        return Summary(killed, rounds, findings)


def _stop(pool: list[subprocess.Popen[bytes]]) -> None:
    for process in pool:
        process.terminate()
    for process in pool:
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="worker processes polling at any time")
    parser.add_argument("--seconds", type=float, default=60, help="how long a paced timeline's span lasts")
    parser.add_argument("--members", type=int, default=20000, help="members of each ensemble")
    parser.add_argument("--gap", type=float, default=3.0, help="mean seconds between two kills")
    parser.add_argument("--seed", type=int, default=1962, help="seed of the kills' instants and victims")
    parser.add_argument("--short", action="store_true", help="the five short timelines of CI's drill")
    args = parser.parse_args()
    names = SHORT if args.short else PACED
    summary = asyncio.run(
        drill(args.kills, args.workers, args.seconds, args.members, args.seed, names, args.gap)
    )
    print("\n".join(summary.lines()))
    raise SystemExit(0 if summary.findings.clean and summary.kills == args.kills else 1)


if __name__ == "__main__":
    main()
