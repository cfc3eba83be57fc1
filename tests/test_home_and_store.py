"""The home is the user's own and a store's URL is a URL or a path, never a guess.

A mistyped store URL once became a SQLite file (folders named after it, password and all),
and a home others could write to had its planted symlinks followed: the server's banner
appended to a victim file, JSON written over another, a second server started on another
home's live database. Each case runs the installed `excomm` as a user would.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from activities.redaction import redacted
from activities.sqlite_store import SqliteEventStore
from activities.stores import StoreMisconfigured, location_of
from tests.processes import EXCOMM, FIXTURE

SECRET = "S3cret"
MISTYPED = [
    f" postgresql://excomm:{SECRET}@127.0.0.1:5999/db",  # a leading space
    f"postgresql://excomm:{SECRET}@127.0.0.1:5999/db ",
    f"postgresql+psycopg://excomm:{SECRET}@127.0.0.1:5999/db",
    f"pgsql://excomm:{SECRET}@127.0.0.1:5999/db",
    f"postgresql:/excomm:{SECRET}@127.0.0.1:5999/db",
    f"postgres:excomm:{SECRET}@127.0.0.1/db",
    f"mysql://excomm:{SECRET}@127.0.0.1/db",
    f"host=127.0.0.1 port=5999 user=excomm password={SECRET} dbname=db",
    f"postgresql://excomm:{SECRET}@127.0.0.1:5432/db?bogusopt=1",  # once a 69-line traceback
    f"postgresql://excomm:{SECRET}@[::1/db",  # once `ValueError: Invalid IPv6 URL`
    f"postgresql://excomm:{SECRET}@127.0.0.1:99999/db",
]


def _excomm(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXCOMM, *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        umask=0o022,
    )


@pytest.mark.parametrize("configured", MISTYPED)
def test_a_mistyped_store_url_is_refused_in_one_line_without_its_password_and_makes_nothing(
    configured: str, tmp_path: Path
) -> None:
    cwd = tmp_path / "here"
    cwd.mkdir()
    ran = _excomm("store", "migrate", cwd=cwd, EXCOMM_EVENT_STORE=configured)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ran.stdout == ""
    assert ran.stderr.startswith("excomm: error: EXCOMM_EVENT_STORE ") and ran.stderr.count("\n") == 1
    assert SECRET not in ran.stderr
    assert list(cwd.iterdir()) == []  # no folder named after the URL, no SQLite file


def test_a_store_url_is_shown_without_its_password_whatever_its_shape() -> None:
    for text in [
        *MISTYPED,
        f"postgresql://excomm:{SECRET}@db.example.org/excomm?sslmode=require",
        f"postgresql://excomm@db.example.org/excomm?password={SECRET}",
        f"host=db password='{SECRET} with spaces'",
    ]:
        assert SECRET not in redacted(text), text


def test_a_postgresql_url_and_a_path_are_taken_as_they_are(tmp_path: Path) -> None:
    url = "postgresql://excomm@db.example.org:5432/excomm?sslmode=require"
    assert location_of(url) == url
    assert location_of("postgres:///excomm?host=/run/postgresql") == "postgres:///excomm?host=/run/postgresql"
    assert location_of(str(tmp_path / "events.sqlite3")) == tmp_path / "events.sqlite3"
    assert location_of("relative/events.sqlite3") == Path("relative/events.sqlite3")
    with pytest.raises(StoreMisconfigured):
        location_of("postgresql://excomm@db/excomm?bogus=1")


def test_a_relative_store_path_is_said_to_be_relative_and_no_folder_is_made_for_a_store(
    tmp_path: Path,
) -> None:
    cwd = tmp_path / "here"
    cwd.mkdir()
    listed = _excomm("list", cwd=cwd, EXCOMM_HOME=str(tmp_path / "home"), EXCOMM_EVENT_STORE="ev.sqlite3")
    assert listed.returncode == 0, listed.stderr
    assert f"{cwd / 'ev.sqlite3'} (EXCOMM_EVENT_STORE 'ev.sqlite3' is relative to the current folder)" in (
        listed.stderr
    )
    home = str(tmp_path / "home")
    missing = _excomm("store", "migrate", cwd=cwd, EXCOMM_HOME=home, EXCOMM_EVENT_STORE="no/such/ev.sqlite3")
    assert missing.returncode == 1
    assert "there is no folder" in missing.stderr and not (cwd / "no").exists()


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "H"
    home.mkdir(mode=0o700)
    return home


def test_a_home_others_can_write_to_is_refused_and_nothing_is_written_in_it(tmp_path: Path) -> None:
    home = _home(tmp_path)
    home.chmod(0o777)
    ran = _excomm("replay", FIXTURE, cwd=tmp_path, EXCOMM_HOME=str(home))
    assert ran.returncode == 1
    assert ran.stderr == (
        f"excomm: error: EXCOMM_HOME {home} cannot be used: others may write to it (mode 0777); "
        f"make it yours alone with `chmod 700 {home}`\n"
    )
    assert list(home.iterdir()) == []


def test_a_home_that_belongs_to_another_user_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("giving a folder to another user needs root, which the tests run as in CI")
    home = _home(tmp_path)
    os.chown(home, 65534, 65534)  # nobody
    ran = _excomm("replay", FIXTURE, cwd=tmp_path, EXCOMM_HOME=str(home))
    assert ran.returncode == 1
    assert "belongs to another user (uid 65534)" in ran.stderr and ran.stderr.count("\n") == 1
    assert list(home.iterdir()) == []


@pytest.mark.parametrize("planted", ["server.log", "server.json.partial", "server.lock", "temporal.sqlite3"])
def test_a_file_planted_as_a_symlink_in_the_home_is_never_written_through(
    planted: str, tmp_path: Path
) -> None:
    home = _home(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("the victim's own words\n")
    victim.chmod(0o644)
    (home / planted).symlink_to(victim)
    ran = _excomm("replay", FIXTURE, cwd=tmp_path, EXCOMM_HOME=str(home))
    assert ran.returncode == 1
    assert ran.stderr == (
        f"excomm: error: EXCOMM_HOME {home} cannot be used: its {planted} is a symbolic link, "
        "and excomm writes no file through one; remove it\n"
    )
    assert victim.read_text() == "the victim's own words\n"
    assert victim.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in home.iterdir()) == [planted]


def test_a_store_file_planted_as_a_symlink_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim.sqlite3"
    victim.write_bytes(b"")
    store = tmp_path / "events.sqlite3"
    store.symlink_to(victim)
    home = str(tmp_path / "home")
    ran = _excomm("store", "migrate", cwd=tmp_path, EXCOMM_HOME=home, EXCOMM_EVENT_STORE=str(store))
    assert ran.returncode == 1
    assert "is a symbolic link" in ran.stderr and ran.stderr.count("\n") == 1
    assert victim.read_bytes() == b""


_COUNT_AND_CLOSE = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT count(*) FROM events WHERE timeline_id = 'a-timeline'").fetchone()[0])
db.close()
"""


def _another_worker(path: Path) -> int:
    """Another worker process opens the store, counts a timeline's events, and closes it."""
    ran = subprocess.run([sys.executable, "-c", _COUNT_AND_CLOSE, str(path)], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    return int(ran.stdout)


def test_opening_the_store_in_one_thread_never_costs_another_threads_writes(tmp_path: Path) -> None:
    """A worker runs its activities in threads: one has the store open to record events
    while another opens it to deliver a message. Closing any descriptor on a file drops every
    lock the process holds on it; had the second done so, another worker closing the store
    would think itself its last user and remove its write-ahead log, and the first thread's
    events, written there, would be lost: that is how a drill lost events."""
    path = tmp_path / "events.sqlite3"
    store = SqliteEventStore(path)
    store.migrate()
    recording = sqlite3.connect(path, isolation_level=None)
    try:
        recording.execute("SELECT count(*) FROM events").fetchone()  # the store open in one thread
        assert store.events("a-timeline") == []  # another thread opens it meanwhile
        assert _another_worker(path) == 0
        recording.execute("INSERT INTO events VALUES ('a-timeline', 1, '1962-10-26', 'x', '{}')")
        assert _another_worker(path) == 1
    finally:
        recording.close()


def test_a_new_store_file_is_made_private_and_nothing_else_is_left_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    SqliteEventStore(path).migrate()
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("events.sqlite3-")) == [
        "events.sqlite3"
    ]
