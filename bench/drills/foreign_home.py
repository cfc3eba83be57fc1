"""Drill: homes that are not the user's own, each refused before anything is written.

    python -m bench.drills.foreign_home [--command replay]

Builds every kind of home an attacker or a careless operator could hand excomm: writable
by others (0777, 0770, 0702), owned by another user, and with each file excomm writes
planted as a symlink to a victim file (the server's log, its registry and the registry's
partial, the locks, both databases and their WAL files), and one whose Temporal database
is a symlink to another home's live database, with that home's server running. Each is
run with `excomm replay` (or the command given); each must exit 1 with one line, leave
the victim's bytes and mode as they were, write nothing in the home, and start no server.
Prints a row per case and the count of cases that broke a rule; exits 1 if any did.
"""

from __future__ import annotations

import argparse
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from service.runtime.ports import free_port, processes_with_argument
from service.runtime.settings import HOME_FILES

EXCOMM = str(Path(sys.executable).parent / "excomm")
FIXTURE = str(Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "three-days.yaml")
VICTIM_TEXT = b"the victim's own bytes\n"


@dataclass
class Case:
    name: str
    prepare: Callable[[Path, Path], None]  # (home, victim)


@dataclass
class Outcome:
    case: str
    status: int
    said: str
    broken: list[str] = field(default_factory=list)


def _mode(mode: int) -> Callable[[Path, Path], None]:
    def prepare(home: Path, _: Path) -> None:
        home.chmod(mode)

    return prepare


def _owner(home: Path, _: Path) -> None:
    os.chown(home, 65534, 65534)  # nobody


def _link(name: str) -> Callable[[Path, Path], None]:
    def prepare(home: Path, victim: Path) -> None:
        (home / name).symlink_to(victim)

    return prepare


def cases(with_owner: bool) -> list[Case]:
    found = [Case(f"mode {mode:04o}", _mode(mode)) for mode in (0o777, 0o770, 0o702)]
    if with_owner:
        found.append(Case("owned by another user", _owner))
    found += [Case(f"{name} a symlink", _link(name)) for name in HOME_FILES]
    return found


def _snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), stat.S_IMODE(path.stat().st_mode)


def run_case(case: Case, folder: Path, command: tuple[str, ...]) -> Outcome:
    home, victim = folder / "home", folder / "victim"
    home.mkdir(mode=0o700)
    victim.write_bytes(VICTIM_TEXT)
    victim.chmod(0o644)
    case.prepare(home, victim)
    before = sorted(p.name for p in home.iterdir())
    ran = subprocess.run(
        [EXCOMM, *command],
        env={**os.environ, "EXCOMM_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        umask=0o022,
    )
    outcome = Outcome(case.name, ran.returncode, ran.stderr.strip())
    if ran.returncode != 1:
        outcome.broken.append(f"exit {ran.returncode}, not 1")
    if ran.stderr.count("\n") != 1 or "Traceback" in ran.stderr:
        outcome.broken.append("not one line")
    if _snapshot(victim) != (VICTIM_TEXT, 0o644):
        outcome.broken.append("the victim was written or its mode changed")
    if sorted(p.name for p in home.iterdir()) != before:
        outcome.broken.append("something was written in the home")
    if processes_with_argument("temporal", str(home / "temporal.sqlite3")):
        outcome.broken.append("a Temporal server was started on the home")
    return outcome


def another_homes_database(folder: Path, command: tuple[str, ...]) -> Outcome:
    """Home B's temporal.sqlite3 a symlink to home A's, whose server is running."""
    home_a, home_b = folder / "a", folder / "b"
    folder.mkdir()
    home_a.mkdir(mode=0o700)
    home_b.mkdir(mode=0o700)
    env_a = {**os.environ, "EXCOMM_HOME": str(home_a)}
    port, ui_port = free_port("127.0.0.1"), free_port("127.0.0.1")
    server = subprocess.Popen(
        [EXCOMM, "server", "--port", str(port), "--ui-port", str(ui_port), "--no-classroom"],
        env=env_a,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert "Temporal server at" in server.stdout.readline()  # home A's server runs on its database
        database = home_a / "temporal.sqlite3"
        (home_b / "temporal.sqlite3").symlink_to(database)
        servers_before = processes_with_argument("temporal", str(database))
        ran = subprocess.run(
            [EXCOMM, *command],
            env={**os.environ, "EXCOMM_HOME": str(home_b)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        outcome = Outcome("temporal.sqlite3 a symlink to another home's live database", ran.returncode, "")
        outcome.said = ran.stderr.strip()
        if ran.returncode != 1 or ran.stderr.count("\n") != 1:
            outcome.broken.append(f"exit {ran.returncode}: {ran.stderr.strip()[:80]}")
        if processes_with_argument("temporal", str(home_b / "temporal.sqlite3")):
            outcome.broken.append("a second server was started on the live database")
        if processes_with_argument("temporal", str(database)) != servers_before:
            outcome.broken.append("home A's server was disturbed")
        return outcome
    finally:
        server.terminate()
        server.wait(timeout=30)


def drill(command: tuple[str, ...] = ("replay", FIXTURE), say: bool = True) -> list[Outcome]:
    outcomes = []
    with_owner = os.geteuid() == 0  # giving a folder away needs root
    with tempfile.TemporaryDirectory(prefix="excomm-foreign-home-") as scratch:
        for number, case in enumerate(cases(with_owner)):
            folder = Path(scratch) / f"case-{number}"
            folder.mkdir()
            outcomes.append(run_case(case, folder, command))
            if say:
                _say(outcomes[-1])
        outcomes.append(another_homes_database(Path(scratch) / "live", command))
        if say:
            _say(outcomes[-1])
    return outcomes


def _say(outcome: Outcome) -> None:
    verdict = "ok" if not outcome.broken else "BROKEN: " + "; ".join(outcome.broken)
    print(f"{outcome.case:<60} exit {outcome.status}  {verdict}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--command", default="replay", choices=("replay", "store", "list", "classroom"))
    args = parser.parse_args()
    command = {
        "replay": ("replay", FIXTURE),
        "store": ("store", "migrate"),
        "list": ("list",),
        "classroom": ("classroom", "--port", "0"),
    }[args.command]
    outcomes = drill(command)
    broken = [o for o in outcomes if o.broken]
    print(f"cases: {len(outcomes)}; refused cleanly: {len(outcomes) - len(broken)}; broken: {len(broken)}")
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
