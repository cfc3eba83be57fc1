"""A Temporal session for one command: which server, and whether a worker runs in-process.

Order of preference: a configured cluster (envconfig), then the embedded server that
`excomm server` is running, then (where the command allows it) an embedded server of
our own for the length of the command.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import structlog
from temporalio.client import Client
from temporalio.service import RPCError

from service.connection import ConnectionFailed, configured_profile, connect, connect_profile
from service.embedded_server import embedded_server, running_server


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
        server = running_server() if profile is None else None
        if profile is not None:
            client = await connect_profile(profile)
            await register_search_attributes(client)
        elif server is not None:
            client = await connect(server.address)
        else:
            client, _ = await stack.enter_async_context(embedded_server())
        if with_worker:
            from worker import build_worker

            await stack.enter_async_context(build_worker(client))
        yield client


async def register_search_attributes(client: Client) -> None:
    """Register excomm's search attributes on a configured cluster, if allowed.

    The embedded server registers them at start. On a cluster this needs operator rights
    (Temporal Cloud registers them in its console instead): without them, warn and go on.
    """
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest

    from workflows import search_attributes

    log = structlog.get_logger()
    operator = client.operator_service
    try:
        known = await operator.list_search_attributes(ListSearchAttributesRequest(namespace=client.namespace))
        missing = {
            key.name: IndexedValueType.ValueType(key.indexed_value_type)
            for key in search_attributes.ALL
            if key.name not in known.custom_attributes
        }
        if missing:
            await operator.add_search_attributes(
                AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
            )
            log.info("search attributes registered", names=sorted(missing))
    except RPCError as exc:
        log.warning(
            "could not register search attributes; register them on the cluster",
            names=[key.name for key in search_attributes.ALL],
            reason=exc.message,
        )
