"""Shared fixtures: real Temporal servers from the installed binaries, never downloaded."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.event_store import EventStore
from activities.stores import open_store
from models.timeline import TimelineDefinition
from service.runtime.embedded_server import installed_binary
from tests.postgres import postgres_server
from timelines.loader import load_timeline, load_timeline_file
from workflows import search_attributes

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Never touch the developer's own data directory or cluster configuration.
    monkeypatch.setenv("EXCOMM_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EXCOMM_EVENT_STORE", raising=False)
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_PROFILE", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "no-temporal.toml"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The EXCOMM_HOME every test runs with (see _isolated_home)."""
    return tmp_path / "home"


@pytest.fixture
def three_days() -> TimelineDefinition:
    return load_timeline_file(FIXTURES / "three-days.yaml")


@pytest.fixture(scope="session")
def october() -> TimelineDefinition:
    return load_timeline("october-1962")


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    return open_store(tmp_path / "events.sqlite3")


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=installed_binary("temporal-test-server"),
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_existing_path=installed_binary("temporal"),
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = "condition"
) -> None:
    """Wait until an observable condition holds (polling, with a deadline), or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def client_env(address: str) -> dict[str, str]:
    env = dict(os.environ)
    env["TEMPORAL_ADDRESS"] = address
    return env


async def connect_client(address: str) -> Client:
    return await Client.connect(address, data_converter=pydantic_data_converter)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for the session (the distribution's package); its URL."""
    with postgres_server() as url:
        yield url
