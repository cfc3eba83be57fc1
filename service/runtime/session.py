"""A Temporal session for one command: which server, and whether a worker runs in-process.

Order of preference: a configured cluster (envconfig), then the home's embedded server
(the one `excomm server` runs, or one started on demand and shared by the home's
commands until the last of them ends: service.runtime.on_demand).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from temporalio.client import Client

from activities.stores import open_store
from service.runtime.connection import ConnectionFailed, configured_profile, connect, connect_profile
from service.runtime.embedded_server import running_server
from service.runtime.on_demand import shared_server
from service.runtime.registration import register_search_attributes
from service.runtime.settings import default_store, ensure_home, event_store_location


async def connect_running() -> Client:
    """A client for a server that is already running; never starts one."""
    profile = configured_profile()
    if profile is not None:
        return await connect_profile(profile)
    server = running_server()
    if server is None:
        raise ConnectionFailed(
            "no Temporal server is running: start one with `excomm server`, "
            "or point excomm at a cluster with TEMPORAL_ADDRESS"
        )
    return await connect(server.address)


@contextlib.asynccontextmanager
async def session(with_worker: bool) -> AsyncIterator[Client]:
    """A client for this command, starting the embedded server if nothing else is there."""
    async with contextlib.AsyncExitStack() as stack:
        profile = configured_profile()
        location = event_store_location()
        if profile is None or (with_worker and location == default_store()):
            ensure_home()  # the embedded server's and the default store's: said first if unusable
        store = None
        if with_worker:
            # Its worker records every event: a store it cannot use is said now, in one
            # line, before a server starts or a timeline does.
            store = open_store(location)
            store.check()
        if profile is not None:
            client = await connect_profile(profile)
            await register_search_attributes(client)
        else:
            server = await stack.enter_async_context(shared_server())
            client = await connect(server.address)
        if with_worker:
            from service.runtime.workers import build_worker

            await stack.enter_async_context(build_worker(client, store))
        yield client
