"""excomm as a user runs it: the installed command in real processes, and a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

EXCOMM = str(Path(sys.executable).parent / "excomm")
FIXTURE = str(Path(__file__).parent / "fixtures" / "three-days.yaml")


def excomm(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "EXCOMM_HOME": str(home), **env}
    return subprocess.run([EXCOMM, *args], env=environment, capture_output=True, text=True, timeout=60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def excomm_server(home: Path, port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`excomm server` in the foreground of a child process, up once its banner is printed."""
    port = port or free_port()
    ui_port = free_port()
    while ui_port == port:  # two free ports, asked for one after the other, can be one
        ui_port = free_port()
    with tempfile.TemporaryFile("w+") as errors:  # what it said, if it did not start
        process = subprocess.Popen(
            [EXCOMM, "server", "--port", str(port), "--ui-port", str(ui_port)],
            env={**os.environ, "EXCOMM_HOME": str(home)},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()  # blocks until the server is up
            if not (f"127.0.0.1:{port}" in banner and f"http://127.0.0.1:{ui_port}" in banner):
                process.wait(timeout=30)
                errors.seek(0)
                raise AssertionError(f"excomm server did not start: {banner!r} {errors.read()!r}")
            yield f"127.0.0.1:{port}", process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
