"""Running one async call to Temporal to its end, its failures said as excomm's errors.

The SDK fails with its own exceptions (a workflow that failed, a query that could not be
answered, a server that refused or could not be reached); a user meets them as one line
and the exit status of service.errors, from the command line and the notebook alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from service.errors import Refused, Unreachable

T = TypeVar("T")


def run_call(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` in a new event loop; the SDK's failures become excomm's errors."""
    from temporalio.client import WorkflowFailureError, WorkflowQueryFailedError
    from temporalio.service import RPCError, RPCStatusCode

    try:
        return asyncio.run(coroutine)
    except WorkflowFailureError as exc:
        raise Refused(f"the timeline failed: {exc.cause or exc}") from None
    except WorkflowQueryFailedError as exc:
        # Its answer could not be given (too large for a message, a worker that failed it).
        raise Refused(f"the timeline could not answer: {exc}") from None
    except RPCError as exc:
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise Unreachable(f"the Temporal server refused: {exc.message}") from None
        raise Refused(f"the Temporal server refused: {exc.message}") from None
