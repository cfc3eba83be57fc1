"""One server per home, and never someone else's: ports, concurrent commands, strays."""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from activities.stores import open_store
from models.simulation import simulate
from models.timeline import TimelineDefinition
from service.runtime import ports
from service.runtime.embedded_server import installed_binary, server_owned
from service.runtime.ports import processes_with_argument
from tests.processes import EXCOMM, FIXTURE, excomm, excomm_server, free_port


def _until(condition: object, what: str, timeout: float = 60.0) -> None:
    """Poll an observable condition with a deadline (never a bare sleep)."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_second_server_on_a_taken_port_is_refused_and_nothing_reaches_its_home(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    with excomm_server(first) as (address, _):
        port = address.rsplit(":", 1)[1]
        refused = subprocess.run(
            [EXCOMM, "server", "--port", port, "--ui-port", str(free_port()), "--no-classroom"],
            env={**os.environ, "EXCOMM_HOME": str(second)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 1
        assert refused.stderr.count("\n") == 1, refused.stderr
        assert f"the Temporal port {port} on 127.0.0.1 is taken by pid" in refused.stderr
        assert "Worker running" not in refused.stdout
        for n in range(3):
            ran = excomm("replay", FIXTURE, "--id", f"on-the-first-{n}", home=first)
            assert ran.returncode == 0, ran.stderr
    recorded = open_store(first / "events.sqlite3")
    assert sorted(t.timeline_id for t in recorded.timelines()) == [f"on-the-first-{n}" for n in range(3)]
    assert not second.exists()  # refused before anything was written


def test_five_replays_at_once_on_one_home_all_succeed_none_depending_on_another(home: Path) -> None:
    # No server runs: the first command starts the home's server on demand; the quick
    # (instant) replays end long before the paced ones, which must not die with them.
    paces = ["instant", "1d=1s", "instant", "1d=1s", "instant"]
    processes = [
        subprocess.Popen(
            [EXCOMM, "replay", FIXTURE, "--id", f"at-once-{n}", "--pace", pace],
            env={**os.environ, "EXCOMM_HOME": str(home)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, pace in enumerate(paces)
    ]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert "outcome:" in out
    store = open_store(home / "events.sqlite3")
    logs = [[(e.seq, e.type, e.at) for e in store.events(f"at-once-{n}")] for n in range(5)]
    assert logs[0] and all(log == logs[0] for log in logs)
    # The shared server stops once its last command has ended, and takes its `temporal` along.
    _until(lambda: not server_owned(), "the on-demand server to stop")
    assert processes_with_argument("temporal", str(home / "temporal.sqlite3")) == []


def test_killing_excomm_server_does_not_leave_its_temporal_holding_the_port(home: Path) -> None:
    port = free_port()
    with excomm_server(home, port) as (_, process):
        process.kill()
        process.wait()
    with excomm_server(home, port) as (address, _):
        assert address == f"127.0.0.1:{port}"
        assert excomm("list", home=home).returncode == 0


def test_a_stray_temporal_on_the_homes_database_is_stopped_before_the_next_start(home: Path) -> None:
    home.mkdir(parents=True)
    port = free_port()
    stray = subprocess.Popen(
        [
            *(installed_binary("temporal"), "server", "start-dev", "--headless", "--port", str(port)),
            *("--db-filename", str(home / "temporal.sqlite3")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # as if its excomm parent had died without taking it along
    )
    try:
        _until(lambda: _accepts(port), "the stray server to listen")
        with excomm_server(home, port):
            assert stray.poll() is not None  # stopped, and its port now serves this home
            assert excomm("replay", FIXTURE, "--id", "after-the-stray", home=home).returncode == 0
    finally:
        if stray.poll() is None:
            stray.kill()
        stray.wait()


def _line_containing(stream: IO[str], text: str, timeout: float = 90.0) -> str:
    """Read a process's stream until a line with `text` (a thread keeps the deadline)."""
    found: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            if text in line:
                found.put(line)
                return

    threading.Thread(target=read, daemon=True).start()
    return found.get(timeout=timeout)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small filesystem needs root (CI runs as root)")
def test_a_full_disk_under_the_store_is_reported_and_the_timeline_goes_on_once_there_is_room(
    home: Path, tmp_path: Path, october: TimelineDefinition
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=800k", "tmpfs", str(disk)], check=True)
    try:
        filler = disk / "filler"
        filler.write_bytes(bytes(760 * 1024))  # the record needs about 340 kB; leave 40
        store = disk / "events.sqlite3"
        process = subprocess.Popen(
            [EXCOMM, "replay", "october-1962", "--id", "cramped"],
            env={**os.environ, "EXCOMM_HOME": str(home), "EXCOMM_EVENT_STORE": str(store)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        warning = _line_containing(process.stderr, "is waiting")
        assert warning.startswith("excomm: warning: timeline cramped is waiting: ")
        assert f"the event store {store} cannot be used: database or disk is full" in warning
        assert "goes on once that is put right" in warning
        assert process.poll() is None  # waiting, not failed: the timeline is durable
        filler.unlink()
        assert "timeline cramped goes on" in _line_containing(process.stderr, "goes on")
        assert process.wait(timeout=120) == 0
        recorded = open_store(store).events("cramped")
        assert [e.seq for e in recorded] == list(range(1, len(simulate(october)) + 1))
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small filesystem needs root (CI runs as root)")
def test_a_home_on_a_full_disk_is_named_as_one_at_start_and_in_the_stores_errors(tmp_path: Path) -> None:
    # It said "the embedded Temporal server did not start: it exited without a word", exit 3
    # (no server reachable), and mid-run SQLite's "disk I/O error".
    import sqlite3

    from activities.sqlite_store import _reason

    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], check=True)
    try:
        home = disk / "home"
        home.mkdir(mode=0o700)
        (disk / "filler").write_bytes(bytes(1900 * 1024))
        done = excomm("replay", FIXTURE, home=home)
        assert done.returncode == 1
        assert done.stderr.startswith(
            f"excomm: error: the embedded Temporal server cannot start: the disk under {home} is full ("
        )
        assert done.stderr.endswith(" kB free); it needs about 16 MB\n")
        said = _reason(sqlite3.OperationalError("disk I/O error"), home / "events.sqlite3")
        assert said.startswith(f"the disk under {home / 'events.sqlite3'} is full (")
        assert said.endswith("kB free): disk I/O error")
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=True)


def test_what_excomm_writes_under_its_home_is_readable_by_its_owner_only(home: Path) -> None:
    # At the common umask 022, Temporal's own database (every workflow history), the
    # registry and the locks were 0644: every file is 0600 and every folder 0700.
    ran = subprocess.run(
        [EXCOMM, "replay", FIXTURE, "--id", "private"],
        env={**os.environ, "EXCOMM_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        umask=0o022,
    )
    assert ran.returncode == 0, ran.stderr
    assert home.stat().st_mode & 0o777 == 0o700
    written = list(home.rglob("*"))
    assert {"events.sqlite3", "server.log", "temporal.sqlite3", "server.lock"} <= {p.name for p in written}
    for path in written:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path.name} is {oct(mode)}"


def test_a_server_on_an_address_beyond_loopback_says_it_is_exposed_before_it_starts(home: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        port = holder.getsockname()[1]
        refused = subprocess.run(
            [
                EXCOMM,
                "server",
                "--ip",
                "0.0.0.0",
                "--port",
                str(port),
                "--ui-port",
                str(free_port()),
                "--no-classroom",
            ],
            env={**os.environ, "EXCOMM_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    warning, refusal = refused.stderr.splitlines()
    assert warning.startswith("excomm: warning: --ip 0.0.0.0 exposes an unauthenticated Temporal server")
    assert f"port {port}" in refusal and refused.returncode == 1
    assert "Worker running" not in refused.stdout


def test_a_server_on_ipv6_loopback_is_refused_at_once_and_why(home: Path) -> None:
    # It waited 60 s, then "did not answer within 60 s": the address went to the port
    # probe with its brackets, and the dev server's own services reach it over IPv4.
    done = subprocess.run(
        [EXCOMM, "server", "--ip", "::1", "--port", str(free_port()), "--no-classroom"],
        env={**os.environ, "EXCOMM_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "excomm: error: the embedded Temporal dev server cannot serve on the IPv6 address ::1: its own "
        "services reach it over IPv4; use --ip 127.0.0.1 (or :: for every address), or a Temporal cluster\n"
    )
    assert not home.exists()


def test_a_port_chosen_for_a_server_is_free_and_below_the_ports_outgoing_connections_take() -> None:
    # The kernel hands ephemeral ports to outgoing connections too: one chosen there can
    # be taken by any client between the choice and the server's bind.
    chosen = {ports.free_port("127.0.0.1") for _ in range(20)}
    assert all(ports.LOWEST_CHOICE <= port < ports._ephemeral_floor() for port in chosen)
    assert all(ports.port_is_free("127.0.0.1", port) for port in chosen)
    assert len(chosen) > 1


def test_excomm_server_serves_the_classroom_too_and_prints_both_addresses(home: Path) -> None:
    import re
    import urllib.request

    port, ui_port, classroom_port = free_port(), free_port(), free_port()
    process = subprocess.Popen(
        [
            EXCOMM,
            "server",
            "--port",
            str(port),
            "--ui-port",
            str(ui_port),
            "--classroom-port",
            str(classroom_port),
        ],
        env={**os.environ, "EXCOMM_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        said = "".join(lines)
        assert f"Temporal server at 127.0.0.1:{port}" in said and f"http://127.0.0.1:{ui_port}" in said, said
        teacher = re.search(rf"teacher at (http://127\.0\.0\.1:{classroom_port}/\?key=\S+)", said)
        assert teacher is not None, said
        assert f"students at http://127.0.0.1:{classroom_port}/" in said
        with urllib.request.urlopen(f"http://127.0.0.1:{classroom_port}/", timeout=30) as page:
            assert "Waiting for the teacher" in page.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode == 0


def test_the_classrooms_default_port_taken_the_server_takes_a_free_one_and_says_so(home: Path) -> None:
    # Issue 24, #14: another class on this machine holds 8962; the whole server used to stop.
    import re
    import socket
    import urllib.request

    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with contextlib.suppress(OSError):  # held by someone else: taken all the same
        held.bind(("127.0.0.1", 8962))
        held.listen(1)
    port, ui_port = free_port(), free_port()
    process = subprocess.Popen(
        [EXCOMM, "server", "--port", str(port), "--ui-port", str(ui_port)],
        env={**os.environ, "EXCOMM_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        said = "".join(process.stdout.readline() for _ in range(5))
        moved = re.search(r"students at http://127\.0\.0\.1:(\d+)/", said)
        assert moved is not None and moved[1] != "8962", said
        with urllib.request.urlopen(f"http://127.0.0.1:{moved[1]}/", timeout=30) as page:
            assert "Waiting for the teacher" in page.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=30)
        held.close()
    assert (
        f"excomm: the classroom's port 8962 is taken: it listens on {moved[1]} instead"
        in process.stderr.read()
    )
    # A port asked for and taken is refused, in one line, as before.
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        done = excomm(
            "server", "--port", str(free_port()), "--classroom-port", str(taken.getsockname()[1]), home=home
        )
    finally:
        taken.close()
    assert done.returncode == 1 and "the classroom cannot listen on" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
