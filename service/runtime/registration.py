"""excomm's search attributes on a Temporal server: registered where they are missing.

The dev server registers them when it creates its database, but not on a database that
already exists (one created by an earlier excomm without a newer attribute, or by a
stray `temporal`), so every start checks.
"""

from __future__ import annotations

import structlog
from temporalio.client import Client
from temporalio.service import RPCError


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
