"""The excomm worker's entry point: ``python worker.py`` (or ``excomm worker``).

It polls excomm's task queue on the configured cluster (TEMPORAL_ADDRESS, profiles) or
on the home's running `excomm server`; what it registers is in service.workers.
"""

from __future__ import annotations

import asyncio

from service.workers import run_worker

if __name__ == "__main__":
    asyncio.run(run_worker())
