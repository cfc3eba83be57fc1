"""Drill: the whole server killed with kill -9 and restarted on the same data, nothing lost.

    python -m bench.drills.server_kills [--kills 10] [--seconds 60] [--members 20000]
                                        [--gap 8] [--seed 1962] [--short]

Runs five paced timelines and two Temporal ensembles on `excomm server` (the embedded
Temporal server and its worker) and, at random instants, kills it whole with SIGKILL:
the excomm process and its `temporal` child at once, as a power cut or the OOM killer
would. Each time it starts `excomm server` again on the same home (the same Temporal
database and event store) and the same port. Once all have finished, every timeline's
log in the store is compared, seq by seq, with an uninterrupted run, and every
ensemble's table with the uninterrupted table. Prints the kills survived and the events
lost, duplicated and changed (each should be 0); exits 1 if any.

The event store is EXCOMM_EVENT_STORE if set, else the home's SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from activities.stores import open_store
from bench.drills.common import PACED, SHORT, Findings, Stopwatch, outcomes, start, workload
from service.runtime import ports
from service.runtime.connection import connect
from service.runtime.ports import alive, processes_with_argument
from service.runtime.settings import TASK_QUEUE

EXCOMM = str(Path(sys.executable).parent / "excomm")


@dataclass
class Summary:
    kills: int
    findings: Findings

    def lines(self) -> list[str]:
        restarted = f"server kill -9s survived: {self.kills}, each restarted on the same data"
        return [restarted, *self.findings.lines()]


def _free_port() -> int:
    return ports.free_port("127.0.0.1")


class Server:
    """`excomm server` on a home and a port, as an operator runs it; killed and restarted."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port, self.ui_port = home, port, _free_port()
        self.process: subprocess.Popen[str] | None = None
        self.log = home.parent / "server-drill.log"

    def start(self) -> None:
        env = {**os.environ, "EXCOMM_HOME": str(self.home)}
        with self.log.open("a") as errors:
            self.process = subprocess.Popen(
                [
                    EXCOMM,
                    "server",
                    "--port",
                    str(self.port),
                    "--ui-port",
                    str(self.ui_port),
                    "--no-classroom",
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=errors,
                stdin=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
        assert self.process.stdout is not None
        banner = self.process.stdout.readline()  # printed once the server and worker are up
        if f"127.0.0.1:{self.port}" not in banner:
            raise SystemExit(f"excomm server did not start: {banner!r} (see {self.log})")

    def kill(self) -> None:
        """SIGKILL to excomm and its temporal at once: nothing gets to shut down in order."""
        assert self.process is not None
        temporal = processes_with_argument("temporal", str(self.home / "temporal.sqlite3"))
        for pid in [self.process.pid, *temporal]:
            os.kill(pid, signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in temporal):
            if time.monotonic() > deadline:
                raise SystemExit(f"temporal {temporal} outlived kill -9")
            time.sleep(0.05)  # waiting for the kernel to reap a killed process

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


async def drill(
    kills: int,
    seconds: float = 60,
    members: int = 20000,
    seed: int = 1962,
    names: tuple[str, ...] = PACED,
    gap: float = 8.0,
    say: bool = True,
) -> Summary:
    rng = random.Random(seed)
    clock = Stopwatch()
    with tempfile.TemporaryDirectory(prefix="excomm-drill-") as folder:
        home = Path(folder) / "home"
        server = Server(home, _free_port())
        address = f"127.0.0.1:{server.port}"
        store = open_store(os.environ.get("EXCOMM_EVENT_STORE") or home / "events.sqlite3")
        findings = Findings()
        killed = 0
        server.start()
        try:
            # Ids of this drill's own: a shared store may hold an earlier drill's runs.
            work = workload(f"drill-{secrets.token_hex(3)}", seconds, members, names)
            await start(await connect(address), work, TASK_QUEUE, batch=max(members // 20, 1))

            async def reconnect() -> Client:
                return await connect(address)

            finished = asyncio.ensure_future(outcomes(reconnect, work))
            while killed < kills:
                await asyncio.wait({finished}, timeout=rng.uniform(gap / 2, 3 * gap / 2))
                if finished.done():
                    break
                server.kill()
                killed += 1
                server.start()
                if say:
                    print(f"{clock}  kill -9 {killed}: server restarted on the same data", flush=True)
            tallies = await finished
            findings.add(store, work, tallies)
        finally:
            server.stop()
        return Summary(killed, findings)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60, help="how long a paced timeline's span lasts")
    parser.add_argument("--members", type=int, default=20000, help="members of each ensemble")
    parser.add_argument("--gap", type=float, default=8.0, help="mean seconds between two kills")
    parser.add_argument("--seed", type=int, default=1962, help="seed of the kills' instants")
    parser.add_argument("--short", action="store_true", help="the five short timelines of CI's drill")
    args = parser.parse_args()
    names = SHORT if args.short else PACED
    # The drill's client retries through every restart by design: its warnings are noise.
    quiet = LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
    Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=quiet)))
    summary = asyncio.run(drill(args.kills, args.seconds, args.members, args.seed, names, args.gap))
    print("\n".join(summary.lines()))
    raise SystemExit(0 if summary.findings.clean and summary.kills == args.kills else 1)


if __name__ == "__main__":
    main()
