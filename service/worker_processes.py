"""Worker processes started for one command, so CPU-bound activities use every core."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.client import Client

WORKER = Path(__file__).resolve().parent.parent / "worker.py"


@contextlib.asynccontextmanager
async def worker_processes(client: Client, count: int) -> AsyncIterator[list[subprocess.Popen[bytes]]]:
    """Start `count` workers polling excomm's queue on the client's server; stop them after."""
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": client.namespace,
    }
    processes = [
        subprocess.Popen(
            [sys.executable, str(WORKER)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(count)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
