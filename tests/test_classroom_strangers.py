"""What a stranger on the classroom's network can send it, from outside, as bytes: made-up
and hostile run ids, exports and streams of runs nobody has, connections that send
nothing or send slowly, bodies too big, JSON nested too deep.

One `excomm classroom` process serves the module, started in a folder of its own that
holds timeline files (a request must never read them) and logging to a file that the
tests read.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import EXCOMM, FIXTURE


@dataclass(frozen=True)
class Classroom:
    host: str
    port: int
    key: str
    log: Path

    @property
    def cookie(self) -> str:
        return f"excomm_teacher={self.key}"


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Classroom]:
    folder = tmp_path_factory.mktemp("strangers")
    # Timeline files in the classroom's working folder: a student's request once had them
    # parsed (`/runs/planted.yaml/export/csv`), or failed on them with a 500.
    shutil.copy(FIXTURE, folder / "planted.yaml")
    shutil.copy(FIXTURE, folder / "planted")
    log = folder / "classroom.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [EXCOMM, "classroom", "--port", "0"],
            cwd=folder,
            env={**os.environ, "EXCOMM_HOME": str(folder / "home")},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    assert process.stdout is not None
    banner = process.stdout.readline()  # blocks until the classroom is up
    found = re.search(r"http://([\d.]+):(\d+)/\?key=(\S+)", banner)
    if found is None:
        process.kill()
        raise AssertionError(f"the classroom did not start: {banner!r} {log.read_text()!r}")
    try:
        yield Classroom(found[1], int(found[2]), found[3], log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _ask(
    classroom: Classroom,
    path: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, bytes]:
    """One request, its path sent exactly as written (`..` included); status, type, body."""
    connection = http.client.HTTPConnection(classroom.host, classroom.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.headers.get("Content-Type", ""), answer.read()
    finally:
        connection.close()


def _teacher_json(classroom: Classroom, path: str, data: object) -> tuple[int, dict[str, object]]:
    status, _, body = _ask(
        classroom,
        path,
        "POST",
        json.dumps(data).encode(),
        {"Content-Type": "application/json", "Cookie": classroom.cookie},
    )
    return status, json.loads(body)


def test_exports_of_runs_nobody_has_are_404_in_json_and_read_no_file(classroom: Classroom) -> None:
    for path in (
        "/runs/nope/export/csv",
        "/runs/../export/csv",
        "/runs/missing.yaml/export/csv",
        "/runs/planted.yaml/export/csv",  # a timeline file in the classroom's folder
        "/runs/planted/export/ics",  # the same, without its suffix
        "/runs/%2E%2E/export/csv",
        "/runs/nope.json/export/html",
    ):
        status, kind, body = _ask(classroom, path)
        assert (status, kind) == (404, "application/json"), (path, status, body[:200])
        assert json.loads(body)["error"].startswith("no run"), (path, body)
    # A slash, encoded or not, leaves no route to match.
    assert _ask(classroom, "/runs/..%2Fplanted.yaml/export/csv")[0] == 404
    # The catalogue's timelines export by name, and a run by its id.
    status, _, body = _ask(classroom, "/runs/memo/export/csv")
    assert status == 200 and body.startswith(b"seq,")
    status, started = _teacher_json(classroom, "/api/start", {"timeline": "memo"})
    assert status == 200, started
    status, _, body = _ask(classroom, f"/runs/{started['id']}/export/csv")
    assert status == 200 and body.startswith(b"seq,"), body[:200]
    assert "Traceback" not in classroom.log.read_text()


def test_a_stream_or_a_page_of_runs_nobody_has_is_404(classroom: Classroom) -> None:
    # A follower, polling Temporal five times a second, was started for each made-up id.
    for path in ("/stream?runs=nosuch-1-a,nosuch-1-b", "/stream?runs=../x", "/stream?runs=x.yaml"):
        status, kind, body = _ask(classroom, path)
        assert (status, kind) == (404, "application/json"), (path, status, body[:200])
    for path in ("/runs/nosuch-2", "/runs/planted.yaml", "/pair/nosuch-3/nosuch-4", "/runs/memo"):
        status, kind, _ = _ask(classroom, path)
        assert (status, kind.split(";")[0]) == (404, "text/html"), path
    status, _, _ = _ask(classroom, "/runs/nosuch-5/chart.svg")
    assert status == 404
    assert "Traceback" not in classroom.log.read_text()
