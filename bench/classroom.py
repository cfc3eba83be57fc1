"""How fast a class sees a day: student pages connected to one run stepped a day a second.

    python -m bench.classroom [--students 50] [--days 12] [--interval 1.0]

Starts `excomm classroom` in a fresh home, starts the record (october-1962) paused as the
teacher, connects N students' live feeds (the same server-sent events a student's page
reads), then steps a day every `interval` seconds. A student has a day when the state
message whose clock stands at that day's end has reached it: the feed sends a day's
events before that message, so it is the last of the day to arrive. Prints, for each step,
the median, 95th percentile and worst latency from the step's request to that message,
over all students; then the same over every step. The target: median within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

EXCOMM = Path(sys.executable).parent / "excomm"


@dataclass
class Student:
    clocks: dict[str, float] = field(default_factory=dict)  # clock label -> when first seen
    events: int = 0


async def _listen(base: str, run_id: str, student: Student, ready: asyncio.Event, counter: list[int]) -> None:
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"GET /stream?runs={run_id}&view=happened HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    counted = False
    event_name = ""
    try:
        while True:
            line = (await reader.readline()).decode("utf-8", "replace").rstrip("\r\n")
            if not line and reader.at_eof():
                return
            if line.startswith("event: "):
                event_name = line[7:]
            elif line.startswith("data: "):
                if event_name == "event":
                    student.events += 1
                elif event_name == "state":
                    clock = json.loads(line[6:])["clock"]
                    student.clocks.setdefault(clock, time.perf_counter())
                    if not counted:
                        counted = True
                        counter[0] += 1
                        if counter[0] == counter[1]:
                            ready.set()
    finally:
        writer.close()


def _spread(ordered: list[float]) -> str:
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered):.3f} s, p95 {p95:.3f} s, worst {ordered[-1]:.3f} s"


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


async def _bench(base: str, key: str, students: int, days: int, interval: float) -> None:
    cookie = f"excomm_teacher={key}"
    started = _post(f"{base}/api/start", {"timeline": "october-1962"}, cookie)
    run_id = str(started["id"])
    pupils = [Student() for _ in range(students)]
    ready = asyncio.Event()
    counter = [0, students]
    tasks = [asyncio.create_task(_listen(base, run_id, s, ready, counter)) for s in pupils]
    await asyncio.wait_for(ready.wait(), timeout=60)
    print(f"{students} students connected to {run_id}; stepping {days} days, one every {interval:g} s")
    everything: list[float] = []
    stepped: list[float] = []
    answered: list[float] = []  # how long each step request took to be answered
    for _ in range(days):
        sent = time.perf_counter()
        await asyncio.to_thread(_post, f"{base}/api/runs/{run_id}/control", {"action": "step_day"}, cookie)
        answered.append(time.perf_counter() - sent)
        stepped.append(sent)
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - sent)))
    await asyncio.sleep(2.0)  # the last day's messages
    labels = sorted(
        {c for s in pupils for c in s.clocks}, key=lambda c: min(s.clocks.get(c, 1e18) for s in pupils)
    )
    # The first clock every student saw is where the run stood when it connected.
    for index, sent in enumerate(stepped, start=1):
        if index >= len(labels):
            print(f"day {index}: not seen by every student")
            continue
        label = labels[index]
        latencies = sorted(s.clocks[label] - sent for s in pupils if label in s.clocks)
        everything += latencies
        print(f"day {index:2d} ({label}): {len(latencies)}/{students} students; {_spread(latencies)}")
    if everything:
        print(f"all days: {_spread(sorted(everything))} (target: median within 1 s)")
    print(f"step requests answered in: {_spread(sorted(answered))}")
    print(f"events received per student: {min(s.events for s in pupils)}..{max(s.events for s in pupils)}")
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--days", type=int, default=12)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k not in ("TEMPORAL_ADDRESS", "TEMPORAL_PROFILE")}
        process = subprocess.Popen(
            [str(EXCOMM), "classroom", "--port", "0"],
            env={**env, "EXCOMM_HOME": home},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = re.search(r"(http://\S+)/\?key=(\S+)", banner)
        if found is None:
            process.kill()
            sys.exit(f"the classroom did not start: {banner!r}")
        try:
            asyncio.run(_bench(found[1], found[2], args.students, args.days, args.interval))
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
