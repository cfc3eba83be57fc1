"""Drill: moves of every size, and a flood of large ones, sent to a running timeline.

    python -m bench.drills.oversized_moves [--flood 53] [--largest-kb 1900]

On `excomm server`, starts the memo's plan paused and sends it, with the official
`temporal` CLI (as anyone who reaches the server can), `move` signals whose subject runs
from 1 kB to nearly Temporal's 2 MB limit on a payload, then a flood of 250 kB moves, then
twenty moves as large as a move may be through `excomm signal`. Then it asks `excomm
status` (it once printed an 83-line traceback) and resumes the timeline. A sound timeline
refuses every oversized move, says so in `status`, never has a workflow task fail, and
runs to its end. Prints a row per size, the history's size, and the verdict; exits 1 if
any rule broke.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client

from models.move_limits import HISTORY_BYTES
from service.runtime.connection import connect
from service.runtime.ports import free_port

EXCOMM = str(Path(sys.executable).parent / "excomm")
TEMPORAL = str(Path(sys.executable).parent / "temporal")
MOVE = {"kind": "incident", "incident": "aircraft_shot_down"}


@dataclass
class Report:
    sizes: list[tuple[int, str]] = field(default_factory=list)  # (bytes, what status said of it)
    flood: int = 0
    largest_accepted: int = 0
    task_failures: int = 0
    history_bytes: int = 0
    history_events: int = 0
    status_ok: bool = False
    after_flood: str = ""  # what a small move was told once the flood had passed
    terminated_after: int | None = None  # moves of the flood the server took before ending it
    finished: str = ""
    broken: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        rows = [f"{size / 1024:>8.0f} kB  {said}" for size, said in self.sizes]
        return [
            *rows,
            f"a flood of {self.flood} moves of 250 kB, then a small move: {self.after_flood}",
            *(
                [f"the server ended the timeline at its history limit after {self.terminated_after} moves"]
                if self.terminated_after is not None
                else []
            ),
            f"20 moves as large as a move may be, through excomm signal: "
            f"{self.largest_accepted} accepted; status answered: {self.status_ok}",
            f"workflow task failures: {self.task_failures}; history at the end: "
            f"{self.history_bytes / 1_048_576:.1f} MB in {self.history_events} events",
            f"the timeline: {self.finished}",
            *(f"BROKEN: {b}" for b in self.broken),
        ]


def _signal(address: str, run_id: str, payload: dict[str, object], folder: Path) -> None:
    file = folder / "move.json"
    file.write_text(json.dumps(payload))
    signal = [TEMPORAL, "workflow", "signal", "--address", address, "--workflow-id", run_id]
    subprocess.run(
        [*signal, "--name", "move", "--input-file", str(file)],
        check=True,
        capture_output=True,
        timeout=120,
    )


async def _described(client: Client, run_id: str) -> tuple[int, int, int]:
    """(workflow task attempt, history bytes, history events) of a run now."""
    raw = (await client.get_workflow_handle(run_id).describe()).raw_description
    attempt = raw.pending_workflow_task.attempt if raw.HasField("pending_workflow_task") else 0
    info = raw.workflow_execution_info
    return attempt, info.history_size_bytes, info.history_length


def _excomm(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXCOMM, *args],
        env={**os.environ, "EXCOMM_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def drill(flood: int = 53, largest_kb: int = 1900, say: bool = True) -> Report:
    report = Report(flood=flood)
    sizes = [kb for kb in (1, 16, 100, 250, 500, 1000, 1500, largest_kb) if kb <= largest_kb]
    with tempfile.TemporaryDirectory(prefix="excomm-oversized-") as scratch:
        folder = Path(scratch)
        home = folder / "home"
        port, ui_port = free_port("127.0.0.1"), free_port("127.0.0.1")
        server = subprocess.Popen(
            [EXCOMM, "server", "--port", str(port), "--ui-port", str(ui_port), "--no-classroom"],
            env={**os.environ, "EXCOMM_HOME": str(home)},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None and "Temporal server at" in server.stdout.readline()
            address = f"127.0.0.1:{port}"
            client = await connect(address)
            run_id = "flooded"
            assert _excomm(home, "start", "memo", "--id", run_id, "--paused").returncode == 0
            for kb in sizes:
                _signal(address, run_id, {**MOVE, "subject": "x" * (kb * 1024)}, folder)
            status = _excomm(home, "status", run_id)
            refusals = [line for line in status.stdout.splitlines() if "refused move:" in line]
            for kb, said in zip(sizes, refusals, strict=False):
                report.sizes.append((kb * 1024, said.strip()))
            for n in range(20):
                largest = {**MOVE, "subject": "U-2", "summary": f"{n} " + "z" * 1990}
                done = _excomm(home, "signal", run_id, "incident", "--json", json.dumps(largest))
                report.largest_accepted += done.returncode == 0
            status = _excomm(home, "status", run_id)
            report.status_ok = status.returncode == 0 and "Traceback" not in status.stderr
            for sent in range(flood):
                try:
                    _signal(
                        address, run_id, {**MOVE, "subject": "U-2", "summary": "y" * (250 * 1024)}, folder
                    )
                except subprocess.CalledProcessError:
                    # The server ends a workflow whose history passes its limit (50 MB on
                    # the dev server): refused signals take room in the history too.
                    report.terminated_after = sent
                    break
            after = _excomm(
                home, "signal", run_id, "incident", "--json", json.dumps({**MOVE, "subject": "U-2"})
            )
            report.after_flood = after.stderr.strip() or after.stdout.strip()
            attempt, _, _ = await _described(client, run_id)
            report.task_failures = max(attempt - 1, 0)
            _excomm(home, "resume", run_id)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                status = _excomm(home, "status", run_id)
                if ", completed" in status.stdout or status.returncode != 0:
                    break
            report.finished = status.stdout.splitlines()[0] if status.stdout else status.stderr.strip()
            attempt, report.history_bytes, report.history_events = await _described(client, run_id)
            report.task_failures = max(report.task_failures, attempt - 1)
        finally:
            server.terminate()
            server.wait(timeout=60)
    if sum(1 for kb in sizes if kb * 1024 > 16_384) and not report.sizes:
        report.broken.append("status listed no refusal")
    if report.task_failures:
        report.broken.append(f"{report.task_failures} workflow task failures")
    if not report.status_ok:
        report.broken.append("status did not answer in one piece")
    past_bound = report.history_bytes > HISTORY_BYTES and report.terminated_after is None
    if past_bound and "history has grown" not in report.after_flood:
        report.broken.append(f"past the history's bound, a move was not refused: {report.after_flood}")
    if report.largest_accepted != 20:
        report.broken.append(f"only {report.largest_accepted} of 20 moves within the bounds were taken")
    if "completed" not in report.finished and report.terminated_after is None:
        report.broken.append(f"the timeline did not finish: {report.finished}")
    if say:
        print("\n".join(report.lines()))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood", type=int, default=53, help="moves of 250 kB sent after the sizes")
    parser.add_argument("--largest-kb", type=int, default=1900, help="the largest move sent, in kB")
    args = parser.parse_args()
    report = asyncio.run(drill(args.flood, args.largest_kb))
    sys.exit(1 if report.broken else 0)


if __name__ == "__main__":
    main()
