"""The long-running processes an operator starts: the home's server with its worker (and
the classroom), the classroom alone, a cluster's worker, and the store's migration.

The front door for `excomm server`, `classroom`, `worker` and `store migrate`; each runs
until its `until` event is set (Ctrl-C or SIGTERM, by the command line).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from activities.stores import open_store
from service.errors import Refused
from service.runtime.settings import event_store_location, usable_store

if TYPE_CHECKING:
    from service.classroom.app import Opened
    from service.runtime.embedded_server import RunningServer


async def serve(
    ip: str,
    port: int,
    ui_port: int,
    on_ready: Callable[[RunningServer, str], None],
    until: asyncio.Event,
    classroom_port: int | None = None,
    on_classroom: Callable[[Opened], None] = lambda _: None,
    classroom_fallback: bool = False,
    on_moved: Callable[[int, int], None] = lambda _taken, _chosen: None,
) -> None:
    """The home's embedded server and a worker, until `until` is set; and the classroom on
    `classroom_port` (same address), unless None. With `classroom_fallback`, a taken port
    is replaced by a free one (`on_moved(taken, chosen)`) rather than refused."""
    from service.runtime.embedded_server import embedded_server
    from service.runtime.workers import build_worker

    recorded = usable_store()
    listener = None
    if classroom_port is not None:
        from service.classroom.app import bind

        try:
            listener = bind(ip, classroom_port)
        except Refused:
            if not classroom_fallback:
                raise
            listener = bind(ip, 0)
            on_moved(classroom_port, listener.getsockname()[1])
    try:
        async with embedded_server(ip=ip, port=port, ui=True, ui_port=ui_port) as (client, running):
            async with build_worker(client, recorded):
                on_ready(running, recorded.location)
                if listener is None:
                    await until.wait()
                else:
                    from service.classroom.app import serve_classroom

                    await serve_classroom(client, recorded, listener, on_classroom, until)
    finally:
        if listener is not None:
            listener.close()


async def classroom(
    host: str, port: int, on_ready: Callable[[Opened], None], until: asyncio.Event, key: str | None = None
) -> None:
    """`excomm classroom`: the classroom, with the home's server started on demand (or the
    configured cluster) and a worker, until `until` is set."""
    from service.classroom.app import bind, serve_classroom
    from service.runtime.session import session
    from service.runtime.workers import worker_processes

    listener = bind(host, port)  # a taken port is said before a server starts
    recorded = usable_store()
    try:
        # The worker runs in a process of its own: a workflow task must not wait on the
        # interpreter lock while the web server renders pages for a whole class.
        async with session(with_worker=False) as client, worker_processes(client, 1):
            await serve_classroom(client, recorded, listener, on_ready, until, key)
    finally:
        listener.close()


async def work(on_ready: Callable[[str, str], None], until: asyncio.Event) -> None:
    """A worker for the configured cluster (or the running `excomm server`), until `until`."""
    from service.runtime.registration import register_search_attributes
    from service.runtime.session import connect_running
    from service.runtime.workers import build_worker

    recorded = usable_store()
    client = await connect_running()
    await register_search_attributes(client)
    async with build_worker(client, recorded):
        on_ready(client.service_client.config.target_host, recorded.location)
        await until.wait()


def migrate_store() -> tuple[str, int, int]:
    """`excomm store migrate`: the store's location, its schema before and after."""
    recorded = (
        usable_store(make_home=True)
        if not isinstance(event_store_location(), str)
        else open_store(event_store_location())
    )
    before, after = recorded.migrate()
    return recorded.location, before, after
