"""The embedded server a command starts when none is running, shared by the home's commands.

Commands that find no server (and no configured cluster) must not each start their own on
the home's one database, nor borrow one that dies with the command that started it. The
first spawns this process, detached; every command holds `clients.lock` shared while it
works; the server stops when it can take that lock exclusively, i.e. when the last
command has ended, and keeps it until it has stopped so that no command connects to a
server on its way out. `server-start.lock` makes check-then-start one step.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import IO

from activities.private_files import open_private
from service.runtime.embedded_server import (
    RunningServer,
    ServerRefused,
    ServerUnavailable,
    embedded_server,
    running_server,
    server_owned,
)
from service.runtime.settings import ensure_home, excomm_home

START_TIMEOUT_S = 90.0
IDLE_POLL_S = 0.2


def _lock_file(name: str) -> IO[str]:
    return os.fdopen(open_private(ensure_home() / name), "a")


async def _flock(file: IO[str], operation: int) -> None:
    """Take a lock without blocking the event loop (a server may take seconds to stop)."""
    while True:
        try:
            fcntl.flock(file, operation | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def shared_server() -> AsyncIterator[RunningServer]:
    """The home's embedded server for the length of a command: the running one, or one
    started now that outlives this command for as long as any other command uses it."""
    with _lock_file("clients.lock") as clients:
        await _flock(clients, fcntl.LOCK_SH)
        with _lock_file("server-start.lock") as starting:
            await _flock(starting, fcntl.LOCK_EX)
            server = await _running_or_started()
            fcntl.flock(starting, fcntl.LOCK_UN)
        yield server


async def _running_or_started() -> RunningServer:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT_S
    while True:
        server = running_server()
        if server is not None:
            return server
        if not server_owned():
            return await _start()
        if loop.time() > deadline:  # an owner that never says where it is
            raise ServerUnavailable(
                f"the embedded server of {excomm_home()} is starting but never became ready"
            )
        await asyncio.sleep(0.05)  # `excomm server` is starting: wait for its address


async def _start() -> RunningServer:
    log = excomm_home() / "server.log"
    with os.fdopen(open_private(log), "ab") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.runtime.on_demand"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            start_new_session=True,  # not this command's child in spirit: it outlives it
        )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), START_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        raise ServerUnavailable(
            f"the embedded Temporal server did not start within {START_TIMEOUT_S:.0f} s; see {log}"
        ) from None
    finally:
        process.stdout.close()
    word, _, rest = line.decode(errors="replace").strip().partition(" ")
    if word == "refused":
        raise ServerRefused(rest)
    if word != "ready":
        raise ServerUnavailable(rest or f"the embedded Temporal server did not start; see {log}")
    server = running_server()
    if server is None:
        raise ServerUnavailable(f"the embedded Temporal server stopped as it started; see {log}")
    return server


@contextlib.contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    # The command that started us stops reading once we are ready; later output must not
    # meet a closed pipe.
    sys.stdout.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    yield


async def _serve() -> int:
    with _lock_file("clients.lock") as clients:
        try:
            async with embedded_server(on_demand=True) as (_, server):
                print(f"ready {server.address}", flush=True)
                stopped = asyncio.Event()
                for signum in (signal.SIGTERM, signal.SIGINT):
                    asyncio.get_running_loop().add_signal_handler(signum, stopped.set)
                with _stdout_to_devnull():
                    while not stopped.is_set():
                        await asyncio.sleep(IDLE_POLL_S)
                        try:
                            fcntl.flock(clients, fcntl.LOCK_EX | fcntl.LOCK_NB)
                            break  # no command holds it: stop, keeping it until stopped
                        except BlockingIOError:
                            continue
        except ServerRefused as exc:  # the home cannot have a server: the command says why (exit 1)
            print(f"refused {exc}", flush=True)
            return 1
        except ServerUnavailable as exc:
            print(f"error {exc}", flush=True)
            return 1
    return 0


def main() -> None:
    sys.exit(asyncio.run(_serve()))


if __name__ == "__main__":
    main()
