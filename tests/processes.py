"""excomm as a user runs it: the installed command in real processes, and a real server."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.runtime import ports

EXCOMM = str(Path(sys.executable).parent / "excomm")
FIXTURE = str(Path(__file__).parent / "fixtures" / "three-days.yaml")


def excomm(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "EXCOMM_HOME": str(home), **env}
    return subprocess.run([EXCOMM, *args], env=environment, capture_output=True, text=True, timeout=60)


def free_port() -> int:
    return ports.free_port("127.0.0.1")


def _started_server(home: Path, port: int, ui_port: int) -> tuple[subprocess.Popen[str] | None, str]:
    """`excomm server` started and up (its banner printed), or None and what it said."""
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            [EXCOMM, "server", "--port", str(port), "--ui-port", str(ui_port), "--no-classroom"],
            env={**os.environ, "EXCOMM_HOME": str(home)},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        assert process.stdout is not None
        banner = process.stdout.readline()  # blocks until the server is up
        if f"127.0.0.1:{port}" in banner and f"http://127.0.0.1:{ui_port}" in banner:
            return process, banner
        process.wait(timeout=30)
        errors.seek(0)
        return None, f"{banner!r} {errors.read()!r}"


@contextmanager
def excomm_server(home: Path, port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`excomm server` in the foreground of a child process, up once its banner is printed.

    Ports the test did not choose are chosen again if another process took one between
    the choice and the bind.
    """
    for attempt in range(3):
        chosen = port or free_port()
        ui_port = free_port()
        while ui_port == chosen:  # two free ports, asked for one after the other, can be one
            ui_port = free_port()
        process, said = _started_server(home, chosen, ui_port)
        if process is not None:
            break
        if port is None and "address already in use" in said and attempt < 2:
            continue
        raise AssertionError(f"excomm server did not start: {said}")
    assert process is not None
    try:
        yield f"127.0.0.1:{chosen}", process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
