"""Drill: a crowd on the classroom's network, and whether the teacher is still served.

    python -m bench.drills.classroom_crowd [--open-files 1024] [--idle 1100] [--streams 1000]
                                           [--seconds 30] [--addresses 10]

Starts `excomm classroom` in a fresh home with its open-files limit (soft and hard) set to
`--open-files`, starts the record as the teacher, then lets a crowd loose for `--seconds`
from `--addresses` loopback addresses of its own (127.0.0.10 and on; the teacher is
127.0.0.1, as a teacher's machine on a LAN has an address of its own):

- `--idle` connections that send nothing; each closed by the classroom is opened again a
  second later, so the crowd keeps knocking;
- `--streams` clients asking for the live feed of two made-up runs
  (`/stream?runs=nosuch-N-a,nosuch-N-b`), each asking again 3 s after its answer ends, as a
  browser's EventSource does after a stream that ended.

Meanwhile the teacher loads the index and the run's page every half second, each on a
connection of its own. Prints the teacher's response times before, during and after the
crowd (the target: every one within a second), the classroom's memory and open files,
what its log grew by, and what the crowd met. Exits 1 if a teacher's request failed or
took over a second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

EXCOMM = str(Path(sys.executable).parent / "excomm")
TEACHER_TIMEOUT_S = 10.0  # a request that takes longer counts as failed
REOPEN_S = 1.0  # how soon an idle connection the classroom closed is opened again
RETRY_S = 3.0  # EventSource's retry after a stream that ended


@dataclass
class Crowd:
    opened: int = 0  # idle connections opened, reopenings included
    closed: int = 0  # of those, closed by the classroom
    refused: int = 0  # connections the machine refused outright
    answers: Counter[str] = field(default_factory=Counter)  # streams' first lines, by status
    held_streams: int = 0  # streams still open when the crowd left


@dataclass
class Figures:
    before: list[float]  # the teacher's response times, seconds
    during: list[float]
    after: list[float]
    failed: list[str]  # the teacher's requests that failed, and why
    rss_mb: tuple[float, float, float]  # the classroom's memory: before, most during, after
    open_files: tuple[int, int]  # the classroom's open files: before, most during
    log: tuple[int, int]  # what the classroom's log grew by during the crowd: lines, bytes
    crowd: Crowd
    limit: int
    logged: str = ""  # the start of what the log grew by

    @property
    def served(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        def spread(times: list[float]) -> str:
            if not times:
                return "none answered"
            ordered = sorted(times)
            p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]  # nearest rank
            return (
                f"{len(ordered)} answered, median {statistics.median(ordered):.3f} s, "
                f"p95 {p95:.3f} s, worst {ordered[-1]:.3f} s"
            )

        crowd = self.crowd
        streams = ", ".join(f"{n} {status}" for status, n in sorted(crowd.answers.items()))
        return [
            f"open-files limit of the classroom: {self.limit}",
            f"teacher before the crowd: {spread(self.before)}",
            f"teacher during the crowd: {spread(self.during)}",
            f"teacher after the crowd:  {spread(self.after)}",
            f"teacher's requests failed: {len(self.failed)}"
            + (f" ({self.failed[0]})" if self.failed else ""),
            f"classroom memory: {self.rss_mb[0]:.0f} MB before, {self.rss_mb[1]:.0f} MB at most during, "
            f"{self.rss_mb[2]:.0f} MB after",
            f"classroom open files: {self.open_files[0]} before, {self.open_files[1]} at most during",
            f"classroom log during the crowd: {self.log[0]} lines, {self.log[1]} bytes",
            f"idle connections opened: {crowd.opened}, closed by the classroom: {crowd.closed}, "
            f"refused by the machine: {crowd.refused}",
            f"stream requests answered: {streams or 'none'}; "
            f"streams held open at the end: {crowd.held_streams}",
        ]


def _limited(open_files: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))


def _raise_own_limit(wanted: int) -> None:
    """The drill itself holds the whole crowd: its soft limit up to its hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        top = hard if hard != resource.RLIM_INFINITY else wanted
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, top), hard))


def _rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def _get(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=TEACHER_TIMEOUT_S) as answer:
        answer.read()
        return int(answer.status)


def _post(url: str, data: dict[str, object], cookie: str) -> dict[str, object]:
    request = urllib.request.Request(
        url,
        data=json.dumps(data).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Cookie": cookie},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        result: dict[str, object] = json.loads(answer.read())
        return result


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if the crowd is told to leave."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _idle(host: str, port: int, source: str, stop: asyncio.Event, crowd: Crowd) -> None:
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
        except OSError:
            crowd.refused += 1
            await _pause(stop, REOPEN_S)
            continue
        crowd.opened += 1
        leaving = asyncio.ensure_future(stop.wait())
        try:
            while True:  # read until the classroom closes it, or the crowd leaves
                reading = asyncio.ensure_future(reader.read(4096))
                done, _ = await asyncio.wait({reading, leaving}, return_when=asyncio.FIRST_COMPLETED)
                if reading not in done:
                    reading.cancel()
                    return
                with contextlib.suppress(OSError):
                    if reading.result():
                        continue
                crowd.closed += 1
                break
        finally:
            leaving.cancel()
            writer.close()
        await _pause(stop, REOPEN_S)


async def _stream(host: str, port: int, source: str, n: int, stop: asyncio.Event, crowd: Crowd) -> None:
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
        except OSError:
            crowd.answers["no connection"] += 1
            await _pause(stop, RETRY_S)
            continue
        leaving = asyncio.ensure_future(stop.wait())
        try:
            writer.write(
                f"GET /stream?runs=nosuch-{n}-a,nosuch-{n}-b HTTP/1.1\r\nHost: classroom\r\n"
                "Accept: text/event-stream\r\nConnection: close\r\n\r\n".encode()
            )
            first = asyncio.ensure_future(reader.readline())
            done, _ = await asyncio.wait({first, leaving}, return_when=asyncio.FIRST_COMPLETED)
            if first not in done:
                first.cancel()
                return
            try:
                line = first.result().decode("latin-1").split()
            except OSError:
                line = []
            crowd.answers[line[1] if len(line) > 1 else "closed unanswered"] += 1
            rest = asyncio.ensure_future(reader.read())  # to its end: a stream holds on
            done, _ = await asyncio.wait({rest, leaving}, return_when=asyncio.FIRST_COMPLETED)
            if rest not in done:
                rest.cancel()
                crowd.held_streams += 1
                return
            with contextlib.suppress(OSError):
                rest.result()
        finally:
            leaving.cancel()
            writer.close()
        await _pause(stop, RETRY_S)


@contextlib.contextmanager
def _classroom(open_files: int, home: Path, log: Path) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """`excomm classroom` limited to `open_files`; the process, its address and the key."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEMPORAL_ADDRESS", "TEMPORAL_PROFILE")}
    with log.open("w") as errors:
        process = subprocess.Popen(
            [EXCOMM, "classroom", "--port", "0"],
            env={**env, "EXCOMM_HOME": str(home)},
            stdout=subprocess.PIPE,
            stderr=errors,
            stdin=subprocess.DEVNULL,
            text=True,
            preexec_fn=lambda: _limited(open_files),
        )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()  # blocks until the classroom is up
        found = re.search(r"(http://\S+)/\?key=(\S+)", banner)
        if found is None:
            raise RuntimeError(f"the classroom did not start: {banner!r} {log.read_text()[-2000:]!r}")
        yield process, found[1], found[2]
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def drill(
    open_files: int = 1024,
    idle: int = 1100,
    streams: int = 1000,
    seconds: float = 30.0,
    addresses: int = 10,
    say: bool = True,
) -> Figures:
    _raise_own_limit(idle + streams + 256)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "classroom.log"
        with _classroom(open_files, Path(folder) / "home", log) as (process, base, key):
            cookie = f"excomm_teacher={key}"
            run_id = (
                await asyncio.to_thread(_post, f"{base}/api/start", {"timeline": "october-1962"}, cookie)
            )["id"]
            pages = [f"{base}/", f"{base}/runs/{run_id}"]
            failed: list[str] = []

            async def teacher(rounds: int | None, stop: asyncio.Event | None) -> list[float]:
                times: list[float] = []
                done = 0
                while (rounds is None or done < rounds) and not (stop is not None and stop.is_set()):
                    for page in pages:
                        started = time.perf_counter()
                        try:
                            status = await asyncio.to_thread(_get, page, cookie)
                        except (OSError, urllib.error.URLError) as exc:
                            failed.append(f"{page}: {exc}")
                            continue
                        took = time.perf_counter() - started
                        if status != 200:
                            failed.append(f"{page}: {status}")
                        times.append(took)
                    done += 1
                    if stop is not None:
                        await _pause(stop, 0.5)
                return times

            before = await teacher(4, None)
            rss_before, files_before = _rss_mb(process.pid), _files(process.pid)
            log_before = log.read_bytes()
            if say:
                print(
                    f"the crowd: {idle} idle connections and {streams} streams, for {seconds:g} s", flush=True
                )
            host, port = base.removeprefix("http://").rsplit(":", 1)
            sources = [f"127.0.0.{10 + i}" for i in range(addresses)]
            crowd = Crowd()
            stop = asyncio.Event()
            tasks = [
                asyncio.create_task(_idle(host, int(port), sources[i % addresses], stop, crowd))
                for i in range(idle)
            ] + [
                asyncio.create_task(_stream(host, int(port), sources[i % addresses], i, stop, crowd))
                for i in range(streams)
            ]
            most_rss, most_files = rss_before, files_before
            probing = asyncio.create_task(teacher(None, stop))
            ends = time.monotonic() + seconds
            while time.monotonic() < ends:
                most_rss = max(most_rss, _rss_mb(process.pid))
                most_files = max(most_files, _files(process.pid))
                await _pause(stop, 0.5)
            stop.set()
            during = await probing
            await asyncio.gather(*tasks, return_exceptions=True)
            grown = log.read_bytes()[len(log_before) :]
            after = await teacher(4, None)
            rss_after = _rss_mb(process.pid)
    return Figures(
        before,
        during,
        after,
        failed,
        (rss_before, most_rss, rss_after),
        (files_before, most_files),
        (grown.count(b"\n"), len(grown)),
        crowd,
        open_files,
        grown[:2000].decode("utf-8", "replace"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--open-files", type=int, default=1024, help="the classroom's open-files limit")
    parser.add_argument("--idle", type=int, default=1100, help="connections that send nothing")
    parser.add_argument("--streams", type=int, default=1000, help="streams of made-up runs")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the crowd stays")
    parser.add_argument("--addresses", type=int, default=10, help="loopback addresses the crowd comes from")
    args = parser.parse_args()
    figures = asyncio.run(drill(args.open_files, args.idle, args.streams, args.seconds, args.addresses))
    print("\n".join(figures.lines()))
    slow = [t for t in figures.during if t > 1.0]
    raise SystemExit(0 if figures.served and not slow else 1)


if __name__ == "__main__":
    main()
