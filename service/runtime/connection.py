"""Connecting to Temporal: a configured cluster through the SDK's environment configuration.

`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, TLS settings and TOML
profiles (`TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE`) are read by `temporalio.envconfig`
exactly as the `temporal` CLI reads them. With none of them set, excomm uses its
embedded server instead (service.runtime.embedded_server).
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfigProfile

from models.errors import ExcommError

CONNECT_TIMEOUT_S = 10.0


class ConnectionFailed(ExcommError):
    """The configured (or embedded) Temporal server could not be reached."""

    status = 3


class BadConfiguration(ConnectionFailed):
    """The client configuration cannot be used: a malformed address or file, a missing
    profile or certificate. A mistake to fix, not a server to wait for."""

    status = 1


def configured_profile() -> ClientConfigProfile | None:
    """The environment's Temporal profile if it names an address, else None."""
    try:
        profile = ClientConfigProfile.load(profile=os.environ.get("TEMPORAL_PROFILE"))
    except Exception as exc:  # the SDK raises plain errors for a bad TOML file
        raise BadConfiguration(f"invalid Temporal client configuration: {_first_line(exc)}") from None
    return profile if profile.address else None


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split("\n")[:1]).strip()
    return text[:300] or type(exc).__name__


async def connect(target_host: str, **options: Any) -> Client:
    """Connect with excomm's data converter, failing with one line if unreachable."""
    try:
        return await asyncio.wait_for(
            Client.connect(target_host, data_converter=pydantic_data_converter, **options),
            timeout=CONNECT_TIMEOUT_S,
        )
    except ValueError as exc:  # the SDK's word for an address it cannot parse
        raise BadConfiguration(f"invalid Temporal address {target_host!r}: {_first_line(exc)}") from None
    except (TimeoutError, RuntimeError, OSError) as exc:
        raise ConnectionFailed(f"cannot reach the Temporal server at {target_host}: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    """The human part of the SDK's nested transport error, e.g. 'Connection refused'."""
    text = str(exc)
    if not text:
        return "timed out"
    found = re.search(r'message: "([^"]+)"', text)
    return found.group(1) if found else text.splitlines()[0][:200]


async def connect_profile(profile: ClientConfigProfile) -> Client:
    try:
        options: dict[str, Any] = dict(profile.to_client_connect_config())
    except OSError as exc:  # a TLS certificate or key that cannot be read
        where = f" {exc.filename}" if exc.filename else ""
        reason = (exc.strerror or str(exc)).lower()
        raise BadConfiguration(f"cannot read the TLS certificate or key{where}: {reason}") from None
    except ValueError as exc:
        raise BadConfiguration(f"invalid Temporal client configuration: {_first_line(exc)}") from None
    target = options.pop("target_host")
    return await connect(target, **options)


async def connect_configured() -> Client:
    """Connect to the configured cluster; it is an error if none is configured."""
    profile = configured_profile()
    if profile is None:
        raise ConnectionFailed(
            "no Temporal server is configured: set TEMPORAL_ADDRESS (or a profile), "
            "or run `excomm server` for the embedded one"
        )
    return await connect_profile(profile)
