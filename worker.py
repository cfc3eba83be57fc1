"""The excomm worker's entry point: ``python worker.py`` (or ``excomm worker``).

It polls excomm's task queue on the configured cluster (TEMPORAL_ADDRESS, profiles) or
on the home's running `excomm server`; what it registers is in service.runtime.workers.
"""

from __future__ import annotations

import asyncio

from service.runtime.logs import configure_logging
from service.runtime.session import connect_running
from service.runtime.settings import usable_store
from service.runtime.workers import build_worker


async def run_worker() -> None:
    """The worker process's life: connect to the configured (or running) server and poll."""
    configure_logging()
    store = usable_store(make_home=True)
    client = await connect_running()
    await build_worker(client, store).run()


if __name__ == "__main__":
    asyncio.run(run_worker())
